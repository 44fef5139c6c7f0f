"""optimize's --mig and --hardware: what a profile applies to, said in a note."""

from __future__ import annotations

import pytest

from infercost.decide.grid import check_mig
from infercost.errors import InputError


def test_mig_note_names_the_gpus_searched_whole():
    assert check_mig(["1g.10gb"], ["h100-sxm", "t4"], []) == [
        "--mig applies to h100-sxm; t4 (no MIG slices) searched whole"]
    assert check_mig(["1g.10gb"], ["h100-sxm"], []) == []


def test_mig_whole_gpu_and_absent_profile_refused():
    with pytest.raises(InputError, match="7g.80gb is a whole GPU"):
        check_mig(["7g.80gb"], ["h100-sxm"], [])
    with pytest.raises(InputError, match="none of the hardware searched has MIG slices"):
        check_mig(["1g.10gb"], ["t4", "l4"], [])
    # 1g.5gb is a profile of the A100 40GB only
    with pytest.raises(InputError, match="1g.5gb: no hardware searched has that slice; allowed here: "
                                         "1g.10gb, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb"):
        check_mig(["1g.5gb"], ["h100-sxm"], [])


def test_engine_calibration_file_is_searched_fixed(cli):
    # an existing calibration file given to --engine: every configuration uses it
    import json
    from pathlib import Path

    calib = Path(__file__).parents[1] / "src" / "infercost" / "perf" / "data" / "cpu-minilm-l6-v2.jsonl"
    bert = Path(__file__).parent / "data" / "bad" / "optimize" / "bert.yaml"
    code, out, err = cli("optimize", bert, "--no-simulate", "--hardware", "t4", "--engine", str(calib),
                         "--json")
    assert code == 0, err
    d = json.loads(out)
    assert {c["engine"] for c in [d["winner"], *d["runners_up"]]} == {str(calib)}
    assert any(n.startswith("--engine is a calibration file") for n in d["notes"])
