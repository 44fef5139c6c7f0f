"""Capacity: the analytic (fluid) model of a serving fleet, beside the simulator.

`model.estimate_capacity` turns a scenario's traffic and service time into replica-hours
(busy, idle, warm-up) and served/dropped requests; `estimate.estimate` itemises them into
the cost breakdown with `econ`.
"""
