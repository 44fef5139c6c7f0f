"""Carry mutation verdicts from an older mutmut scratch copy to a new one, function by function.

mutmut 3 numbers a function's mutants (`x_f__mutmut_1..n`) from that function's source
alone, so where a function's source is byte-identical in both copies, mutant N of the new
copy is mutant N of the old one and its verdict holds (for the same tests). This script
compares every mutated function of the new copy (its source segment, `ast.get_source_segment`,
of the module under `NEW/src/`) with the same function in `OLD/src/`, and requires the
same mutant names in both copies' `*.py.meta` and, for each mutant, the same mutated
function text in both copies' `mutants/src/` (the mutant N of old and new is the same
change); only then are the old verdicts carried.

Verdicts are read from `scripts/mutate_inproc.py` result files (JSON lines: `mutant`,
`status`, ...), several merged: a kill (or timeout) in any file wins; otherwise a plain
`survived` beats `survived (budget spent)`. The carried verdicts are appended to OUT.jsonl
in the same format (with `carried: true`), so `mutate_inproc.py OUT.jsonl ...` then skips
them and checks only the rest. By default only kills and timeouts are carried (`--all`:
every verdict), so that survivors are re-checked against the current tests.

    python scripts/mutants_carry.py OLD_GROUP_DIR NEW_GROUP_DIR OUT.jsonl V1.jsonl [V2.jsonl ...] [--all]

OLD_GROUP_DIR / NEW_GROUP_DIR: a group's scratch folder (`$MUTATE_DIR/<group>`, holding
`src/` and `mutants/`). Prints the functions changed (their mutants are not carried), the
counts carried by status, and the number left to check. Writes only OUT.jsonl.
"""

from __future__ import annotations

import ast
import json
import sys
from collections import Counter
from pathlib import Path

#: the better of two verdicts of one mutant (higher wins)
_RANK = {"killed": 5, "timeout": 4, "survived": 3, "survived (budget spent)": 2,
         "no tests": 1, "suspicious": 0}


def function_sources(source: str) -> dict[str, str]:
    """mutmut's mangled name (`x_f`, `xǁClassǁmethod`) -> the function's exact source text."""
    tree = ast.parse(source)
    out: dict[str, str] = {}

    def visit(stmts: list[ast.stmt], cls: str | None) -> None:
        for node in stmts:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                key = f"xǁ{cls}ǁ{node.name}" if cls else f"x_{node.name}"
                out[key] = ast.get_source_segment(source, node, padded=True) or ""
            elif isinstance(node, ast.ClassDef):
                visit(node.body, node.name if cls is None else f"{cls}.{node.name}")

    visit(tree.body, None)
    return out


def mutant_sources(source: str) -> dict[str, str]:
    """Name (`x_f__mutmut_3`, `xǁClassǁm__mutmut_3`) -> source of each mutant in a mutated file."""
    lines = source.splitlines()  # (get_source_segment re-splits the file per call: too slow)
    return {node.name: "\n".join(lines[node.lineno - 1:node.end_lineno])
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name}


def meta_names(group_dir: Path) -> dict[Path, list[str]]:
    """Module path relative to `src/` -> its mutant names, from mutmut's `.py.meta` files."""
    root = group_dir / "mutants" / "src"
    return {m.relative_to(root).with_suffix(""): list(json.loads(m.read_text())["exit_code_by_key"])
            for m in sorted(root.glob("**/*.py.meta"))}


def merged_verdicts(files: list[Path]) -> dict[str, dict]:
    """Mutant name -> its best verdict line over all the files (a kill anywhere wins)."""
    best: dict[str, dict] = {}
    for f in files:
        for line in f.read_text().splitlines():
            if not line.strip():
                continue
            v = json.loads(line)
            old = best.get(v["mutant"])
            if old is None or _RANK.get(v["status"], -1) > _RANK.get(old["status"], -1):
                best[v["mutant"]] = v
    return best


def _function_of(name: str) -> str:
    """`pkg.mod.x_f__mutmut_3` -> `x_f`."""
    return name.rsplit("__mutmut_", 1)[0].rsplit(".", 1)[1]


def carry(old: Path, new: Path, verdicts: dict[str, dict], statuses: set[str]):
    """(lines to carry, names of functions changed, names left to check)."""
    old_meta, new_meta = meta_names(old), meta_names(new)
    carried, changed, left = [], set(), []
    for rel, names in new_meta.items():
        src_new = function_sources((new / "src" / rel).with_suffix(".py").read_text())
        old_file = (old / "src" / rel).with_suffix(".py")
        src_old = function_sources(old_file.read_text()) if old_file.exists() else {}
        old_names = set(old_meta.get(rel, []))
        old_mut = old / "mutants" / "src" / rel
        mut_old = mutant_sources(old_mut.read_text()) if old_mut.exists() else {}
        mut_new = mutant_sources((new / "mutants" / "src" / rel).read_text())
        by_func: dict[str, list[str]] = {}
        for n in names:
            by_func.setdefault(_function_of(n), []).append(n)
        for func, mutants in by_func.items():
            same = (func in src_old and src_old[func] == src_new.get(func)
                    and set(mutants) == {n for n in old_names if _function_of(n) == func})
            if not same:
                changed.add(f"{'.'.join(rel.with_suffix('').parts)}.{func} "
                            f"({len(mutants)} mutants)")
            for n in mutants:
                short = n.rsplit(".", 1)[1]
                same_mutant = same and mut_old.get(short) == mut_new.get(short) is not None
                v = verdicts.get(n) if same_mutant else None
                if v is not None and v["status"] in statuses:
                    carried.append({**v, "carried": True})
                else:
                    left.append(n)
    return carried, sorted(changed), left


def main(argv: list[str]) -> int:
    all_statuses = "--all" in argv
    args = [a for a in argv if a != "--all"]
    if len(args) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    old, new, out = Path(args[0]), Path(args[1]), Path(args[2])
    verdicts = merged_verdicts([Path(a) for a in args[3:]])
    statuses = set(_RANK) if all_statuses else {"killed", "timeout"}
    carried, changed, left = carry(old, new, verdicts, statuses)
    with out.open("a") as f:
        for v in carried:
            f.write(json.dumps(v) + "\n")
    print("functions changed (not carried):", *changed, sep="\n  ")
    print(f"carried {len(carried)}: {dict(Counter(v['status'] for v in carried))}")
    print(f"left to check: {len(left)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
