"""Attribution: a bill plus serving logs in, cost per request, model, endpoint, tenant
and day out, with idle, shared and unallocated cost shown (never hidden).

`rules` states the allocation rules; `engine` computes them as Ibis expressions on the
backend `backends.connect` returns (DuckDB by default, Spark on request).
"""
