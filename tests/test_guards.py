"""Guards on what a user feeds in: one YAML reader, one currency check, a service time
faster than physics, the model id rule, and the CLI habits (--version, -h)."""

from __future__ import annotations

import time

import pytest

from infercost.core.currency import ISO_4217, check_currency
from infercost.core.yamlio import MAX_NODES, load_yaml
from infercost.errors import InputError

# -- YAML ---------------------------------------------------------------------------


def test_duplicate_key_names_line_and_first_line():
    with pytest.raises(InputError) as e:
        load_yaml("a: 1\nb:\n  c: 2\n  c: 3\n", "f.yaml")
    assert e.value.line() == "error: f.yaml: line 4: duplicate key 'c' (first at line 3)"


def test_merge_keys_may_be_overridden_but_not_repeated():
    # YAML's merge rule: explicit keys override merged ones; that is not a duplicate
    assert load_yaml("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n", "f") == {
        "base": {"x": 1, "y": 2}, "d": {"x": 1, "y": 3}}
    with pytest.raises(InputError, match="duplicate key 'y'"):
        load_yaml("base: &b {x: 1}\nd:\n  <<: *b\n  y: 3\n  y: 4\n", "f")


def test_moderate_aliases_are_fine_and_a_bomb_fails_fast():
    assert load_yaml("a: &a [1, 2]\nb: [*a, *a]\n", "f") == {"a": [1, 2], "b": [[1, 2], [1, 2]]}
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    t0 = time.process_time()
    with pytest.raises(InputError, match=f"past {MAX_NODES:,} nodes"):
        load_yaml("\n".join(lines), "bomb.yaml")
    # 9^9 = 387,420,489 nodes if expanded; the check counts each distinct node once
    assert time.process_time() - t0 < 2.0


def test_malformed_yaml_names_line_and_column():
    with pytest.raises(InputError) as e:
        load_yaml("a: [1, 2\n", "f.yaml")
    assert e.value.where.startswith("f.yaml: line ")


# -- currency ----------------------------------------------------------------------------


def test_iso_list_has_the_codes_and_not_the_fakes():
    assert {"USD", "EUR", "JPY", "GBP", "CHF", "INR", "XCG", "ZWG"} <= ISO_4217
    assert not {"XYZ", "ABC", "US$", "EURO", "usd", "HRK"} & ISO_4217  # HRK: withdrawn 2023
    assert len(ISO_4217) == 177


def test_one_check_everywhere():
    from infercost.core.money import Money

    assert check_currency("EUR") == "EUR"
    with pytest.raises(InputError, match="did you mean 'EUR'"):
        check_currency("eur", "x")
    with pytest.raises(InputError, match="ISO 4217"):
        Money(1, "XYZ")


# -- service time faster than physics -----------------------------------------------------

def _chatbot(mean_ms: float):
    from infercost.core.scenario import validate

    return validate({
        "name": "c", "currency": "USD", "model": {"id": "llama-3.1-8b", "precision": "bf16"},
        "workload": {"arrivals": {"process": "poisson", "rate_per_s": 1},
                     "request": {"prompt_tokens": 800, "output_tokens": 200}},
        "service": {"mean_ms": mean_ms},
        "deployment": {"hardware": "h100-sxm"}}, "test")


def test_roofline_floor_of_an_8b_model_on_h100():
    from infercost.core.catalog import load_catalog
    from infercost.perf.service import roofline_floor_s

    # 200 output tokens each stream the bf16 weights but the embedding table (8.03e9 -
    # 1.05e9 = ~7.0e9 params x 2 B = ~14 GB, plus the lm_head read) at 3.35 TB/s:
    # 200 x ~15.3e9 / 3.35e12 = ~0.91 s, plus a short prefill: between 0.9 and 1.0 s
    floor = roofline_floor_s(_chatbot(20), load_catalog())
    assert 0.9 < floor < 1.0


def test_a_service_time_beating_physics_is_noted_and_warned(cli, tmp_path):
    import yaml

    from infercost.capacity.estimate import estimate
    from infercost.core.catalog import load_catalog

    cat = load_catalog()
    notes = estimate(_chatbot(20), cat).usage.notes
    assert any("46x faster than the roofline floor" in n for n in notes), notes
    # 500 ms is within 2x of the ~0.95 s floor: no warning; 400 ms is not
    assert not any("roofline" in n for n in estimate(_chatbot(500), cat).usage.notes)
    assert any("roofline" in n for n in estimate(_chatbot(400), cat).usage.notes)
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(_chatbot(20).model_dump(mode="json", exclude_none=True)))
    code, out, err = cli("estimate", p, "--json")
    assert code == 0 and err.startswith("warning: service.mean_ms (20 ms) is 46x faster")
    assert "roofline floor" in out  # in the JSON notes too


def test_simulate_notes_it_too():
    from infercost.core.catalog import load_catalog
    from infercost.sim.run import simulate

    sc = _chatbot(20).model_copy(deep=True)
    sc.workload.duration_s = 30
    res = simulate(sc, load_catalog(), seed=1)
    assert any("faster than the roofline floor" in n for n in res.cost.facts["notes"])


def test_model_name_is_free_text_and_model_id_is_checked():
    from infercost.capacity.estimate import estimate
    from infercost.core.catalog import load_catalog
    from infercost.core.scenario import validate

    sc = {"name": "x", "currency": "USD", "model": {"name": "our in-house ranker v7"},
          "workload": {"arrivals": {"rate_per_s": 1}}, "service": {"mean_ms": 10},
          "deployment": {"pricing": {"price_per_gpu_hour": 1}}}
    assert estimate(validate(sc, "t"), load_catalog()).breakdown.total.amount > 0
    sc["model"] = {"id": "our-ranker"}
    with pytest.raises(InputError, match="unknown model 'our-ranker'"):
        estimate(validate(sc, "t"), load_catalog())


# -- CLI habits ---------------------------------------------------------------------------


def test_version(cli):
    from importlib.metadata import version

    code, out, err = cli("--version")
    assert code == 0 and out == f"infercost {version('infercost')}\n" and err == ""


def _commands():
    import typer.main

    from infercost.cli import app

    group = typer.main.get_command(app)
    out = [[]]
    for name, cmd in group.commands.items():
        out.append([name])
        for sub in getattr(cmd, "commands", {}):
            out.append([name, sub])
    return out


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "infercost")
def test_dash_h_is_help_everywhere(cli, path):
    code, out, _ = cli(*path, "-h")
    code2, out2, _ = cli(*path, "--help")
    assert code == 0 and out.startswith("Usage:") and out == out2
