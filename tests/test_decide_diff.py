"""diff: change in monthly cost component by component; --fail-above; --git; currencies."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest
import yaml

from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate
from infercost.decide.diff import cost_diff
from infercost.errors import InputError

BASE = {
    "name": "small",
    "currency": "USD",
    "workload": {"arrivals": {"process": "constant", "rate_per_s": 15}, "duration_s": 3600,
                 "request": {}},
    "service": {"distribution": "constant", "mean_ms": 100, "per_item_ms": 100},
    "deployment": {"hardware": "h100-sxm", "replicas": 2,
                   "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": 2},
                   "batching": {"max_batch": 1}},
    "costs": {"licensing": {"per_month": 1000}},
}


def _head(**kw):
    h = json.loads(json.dumps(BASE))
    h["deployment"]["replicas"] = kw.get("replicas", 3)
    return h


def test_diff_by_hand():
    d = cost_diff(validate(BASE, "base"), validate(_head(), "head"), load_catalog())
    monthly, per_inf, p99 = d.summary
    # base: 2 x 730 x 2 = 2,920 + 1,000 licensing = 3,920; head: 3 x 730 x 2 = 4,380 + 1,000
    assert monthly.base == Decimal("3920") and monthly.head == Decimal("5380")
    assert monthly.change == Decimal("1460")
    assert float(monthly.pct) == pytest.approx(1460 / 3920 * 100)  # +37.24%
    # per inference: 15 req/s x 3600 x 730 = 39,420,000 a month
    assert float(per_inf.change) == pytest.approx(1460 / 39_420_000, rel=1e-9)
    # constant arrivals and a constant 100 ms service (D/D/c): no queue below saturation, so
    # p99 = 100 ms with 2 or 3 replicas (Erlang C gave 933 ms and 170 ms), said in a note
    assert (p99.base, p99.head, p99.change) == (Decimal("100.0"), Decimal("100.0"), 0)
    assert any("D/D/c" in n for n in d.notes)
    pois = json.loads(json.dumps(BASE))
    pois["workload"]["arrivals"]["process"] = "poisson"
    ph = _head()
    ph["workload"]["arrivals"]["process"] = "poisson"
    dp = cost_diff(validate(pois, "base"), validate(ph, "head"), load_catalog())
    assert dp.summary[2].change < 0  # Poisson arrivals queue: a third replica shortens it
    assert dp.notes == []
    by = {c.name: c for c in d.components}
    assert by["licensing"].change == 0
    assert by["accelerator_busy"].change == 0  # same work: 15 x 0.1 s = 1.5 busy replica-h per h
    # idle: (3 - 1.5) - (2 - 1.5) = 1 replica-h per h x 730 x 2 USD = 1,460
    assert by["accelerator_idle"].change == Decimal("1460")


def test_different_currencies_exit_2(tmp_path):
    eur = _head()
    eur["currency"] = "EUR"
    with pytest.raises(InputError, match="one currency"):
        cost_diff(validate(BASE, "base"), validate(eur, "head"), load_catalog())
    b, h = tmp_path / "b.yaml", tmp_path / "h.yaml"
    b.write_text(yaml.safe_dump(BASE))
    h.write_text(yaml.safe_dump(eur))
    r = subprocess.run([sys.executable, "-m", "infercost", "diff", str(b), str(h)],
                       capture_output=True, text=True, env=_env())
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error:") and "EUR" in r.stderr


def _env():
    import os
    from pathlib import Path

    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).parents[1] / "src")
    return env


def test_fail_above_and_git(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    f = repo / "svc.yaml"
    f.write_text(yaml.safe_dump(BASE))
    (repo / "other.yaml").write_text("just: data\n")

    def git(*a):
        subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)
    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base")
    f.write_text(yaml.safe_dump(_head()))
    (repo / "other.yaml").write_text("just: changed\n")
    run = [sys.executable, "-m", "infercost", "diff", "--git", "HEAD", "--md"]
    r = subprocess.run(run + ["--fail-above", "10"], cwd=repo, capture_output=True, text=True, env=_env())
    assert r.returncode == 1, r.stderr
    assert "| figure | base | head | change | % |" in r.stdout  # every column named
    assert "| monthly cost | 3,920 | 5,380 | +1,460 | +37.2% |" in r.stdout
    assert "failing" in r.stdout and "> --fail-above 10%" in r.stderr
    # --json without --md (the two together are refused: both print to stdout)
    r = subprocess.run(run[:-1] + ["--fail-above", "40", "--json"], cwd=repo, capture_output=True, text=True,
                       env=_env())
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["failed"] == [] and d["diffs"][0]["path"] == "svc.yaml"
    assert d["notes"] == ["other.yaml: not a scenario (no workload:), skipped"]


def test_git_nothing_changed_one_line(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "svc.yaml").write_text(yaml.safe_dump(BASE))

    def git(*a):
        subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)
    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base")
    env = _env()
    env["COLUMNS"] = "80"
    r = subprocess.run([sys.executable, "-m", "infercost", "diff", "--git", "HEAD"], cwd=repo,
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    # the sentence on one line, not wrapped to a 4-character column
    assert any("no scenario file changed since HEAD" in line for line in r.stdout.splitlines()), r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert not any(line.strip() in ("infe", "rcos") for line in r.stdout.splitlines())


def _files(tmp_path, base, head):
    b, h = tmp_path / "b.yaml", tmp_path / "h.yaml"
    b.write_text(yaml.safe_dump(base))
    h.write_text(yaml.safe_dump(head))
    return b, h


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_fail_above_not_a_finite_number_exits_2(tmp_path, cli, value):
    b, h = _files(tmp_path, BASE, _head())
    code, out, err = cli("diff", b, h, "--fail-above", value)
    assert code == 2 and out == ""
    assert err == f"error: --fail-above: expected a finite number of percent, got {float(value)}\n"


def test_fail_above_negative_is_a_required_saving(tmp_path, cli):
    # head without the 1,000 USD licensing line: 3,920 -> 2,920 a month, -25.5%
    cheaper = _head(replicas=2)
    cheaper["costs"] = {}
    b, h = _files(tmp_path, BASE, cheaper)
    code, out, err = cli("diff", b, h, "--fail-above", "-5")  # a saving of 5% asked: 25.5% given
    assert code == 0 and "within --fail-above -5%" in out
    code, out, err = cli("diff", b, h, "--fail-above", "-30")
    assert code == 1
    assert err == (f"failing: {h}: monthly cost -25.5% > --fail-above -30% "
                   "(a saving of at least 30% is required)\n")
    code, out, err = cli("diff", b, b, "--fail-above", "-5")  # no change is no saving
    assert code == 1 and "monthly cost +0.0% > --fail-above -5%" in err


def test_overloaded_base_has_no_p99_change_and_says_what_it_drops(tmp_path, cli):
    # one replica serves 10 req/s of the 15 offered: a third of the requests are dropped
    one = _head(replicas=1)
    d = cost_diff(validate(one, "base"), validate(BASE, "head"), load_catalog())
    p99 = d.summary[2]
    assert p99.base is None and p99.head == Decimal("100.0")
    assert p99.change is None and p99.pct is None
    assert p99.to_dict()["change"] is None and p99.to_dict()["change_pct"] is None
    assert "base p99 missing: its fleet is overloaded at the peak, so the p99 row shows no change" in d.notes
    assert any(n.startswith("base is overloaded: 33.3% of requests cannot be served (dropped)")
               for n in d.notes)
    assert not any(n.startswith("head") for n in d.notes)
    b, h = _files(tmp_path, one, BASE)
    code, out, err = cli("diff", b, h)
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("p99 latency at peak"))
    assert row.split()[-4:] == ["-", "100", "-", "-"]  # base, head, change, %
