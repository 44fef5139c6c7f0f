"""The ingest bad-input corpus (tests/data/bad/ingest/counted.yaml): odd real-export
fragments that are read, with what is rejected counted and reported (exit 0). The refused
kinds are in cases.yaml there, run by tests/test_bad_inputs.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent / "data" / "bad" / "ingest"
CASES = yaml.safe_load((HERE / "counted.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_ingest_case(case, cli, tmp_path):
    args = [a.format(dir=HERE, tmp=tmp_path) for a in case["args"]]
    code, out, err = cli(*args)
    assert code == case["exit"], err
    if case["exit"] == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert case["error"] in lines[0]
        assert "Traceback" not in err
        assert not (tmp_path / "o").exists()  # nothing half-written
    else:
        assert case["stdout"] in out
