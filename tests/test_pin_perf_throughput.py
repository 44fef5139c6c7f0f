"""`perf throughput`: the per-request figures follow from the token figures, by hand."""

from __future__ import annotations

import json

import pytest


def run(cli, *args) -> dict:
    code, out, err = cli("perf", "throughput", "--model", "llama-3.1-8b", "--hardware", "h100-sxm",
                         "--json", *args)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize(("isl", "osl", "gpus"), [(1000, 250, 1), (200, 800, 2)])
def test_requests_per_s_is_output_tokens_per_s_over_osl(cli, isl, osl, gpus):
    d = run(cli, "--isl", str(isl), "--osl", str(osl), "--gpus", str(gpus), "--tp", "1")
    # one request writes osl tokens: requests/s = output tokens/s / osl
    # (e.g. 20,000 tok/s / 250 tok = 80 requests/s); output_tokens_per_s is rounded to 0.1
    assert d["requests_per_s"] == pytest.approx(d["output_tokens_per_s"] / osl, abs=0.05 / osl + 5e-4)
    assert d["replicas"] == gpus  # tp 1: one replica per GPU
    # every replica runs max_concurrency sequences, one token each per step of tpot_ms:
    # output tokens/s = max_concurrency x replicas / (tpot_ms / 1000)
    expected = d["max_concurrency"] * d["replicas"] / (d["tpot_ms"] / 1000)
    assert d["output_tokens_per_s"] == pytest.approx(expected, rel=1e-4)
    assert d["output_tokens_per_s_per_gpu"] == pytest.approx(d["output_tokens_per_s"] / gpus, abs=0.1)


def test_two_replicas_serve_twice_the_requests_of_one(cli):
    one = run(cli, "--isl", "1000", "--osl", "250", "--gpus", "1")
    two = run(cli, "--isl", "1000", "--osl", "250", "--gpus", "2", "--tp", "1")
    assert two["requests_per_s"] == pytest.approx(2 * one["requests_per_s"], abs=2e-3)
    assert two["output_tokens_per_s_per_gpu"] == pytest.approx(one["output_tokens_per_s_per_gpu"], abs=0.1)
