"""The one YAML reader of the project: scenarios, catalog files, rules files, `--set` values.

`load_yaml(text, origin)` is `yaml.safe_load` with two refusals, each an `InputError`
naming `origin` (the file) and the line:

- a key repeated in one mapping (YAML 1.2 forbids it; PyYAML keeps the last silently):
  ``scenario.yaml: line 9: duplicate key 'replicas' (first at line 7)``. Keys brought in
  by a merge key (``<<: *base``) may be overridden, as YAML's merge rule says;
- aliases that expand the document past `MAX_NODES` nodes (a "billion laughs" alias
  bomb: 9 nested anchors of 9 aliases is 9^9 ~ 387 million nodes). The expanded size is
  counted on the composed node graph (each distinct node once, memoised), before any
  Python object is built, so the refusal takes milliseconds.
"""

from __future__ import annotations

from typing import Any

import yaml

from infercost.errors import InputError

#: Largest expanded document (mapping, sequence and scalar nodes, aliases counted at
#: every use). Real scenarios and catalogs have a few hundred to a few thousand.
MAX_NODES = 100_000


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and alias expansion past MAX_NODES."""

    origin = "<yaml>"

    def get_single_node(self):  # noqa: D102 - PyYAML hook
        node = super().get_single_node()
        if node is not None:
            _check_size(node, self.origin)
        return node

    def construct_mapping(self, node, deep=False):  # noqa: D102 - PyYAML hook
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # unhashable key: SafeConstructor reports it
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise InputError(f"duplicate key {key!r} (first at line {seen[key]})",
                                     f"{self.origin}: line {line}")
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _check_size(root: yaml.Node, origin: str) -> None:
    """Raise InputError when the alias-expanded node count of `root` exceeds MAX_NODES."""
    sizes: dict[int, int] = {}
    # iterative post-order over the node graph; a node reached twice (alias) is counted twice
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        children = ([c for kv in node.value for c in kv] if isinstance(node, yaml.MappingNode)
                    else list(node.value))
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(c), 0) for c in children)
        if total > MAX_NODES:
            mark = node.start_mark
            raise InputError(
                f"aliases expand this document past {MAX_NODES:,} nodes (an alias bomb?); "
                f"write the values out or use fewer nested anchors",
                f"{origin}: line {mark.line + 1}")
        sizes[key] = total


def load_yaml(text: str, origin: str) -> Any:
    """Parse YAML text safely; InputError (naming `origin` and the line) on any fault.

    Returns what `yaml.safe_load` returns (None for an empty document). Raises
    InputError for malformed YAML, duplicate keys, or alias expansion past MAX_NODES.
    """
    loader = None
    try:
        loader = _Loader(text)  # the reader checks the characters here (a control byte: ReaderError)
        loader.origin = origin
        return loader.get_single_data()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{origin}: line {mark.line + 1} column {mark.column + 1}" if mark else origin
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"malformed YAML: {problem}", where) from None
    except (ValueError, TypeError, OverflowError) as e:  # a value PyYAML cannot build:
        # an impossible date (2026-13-45), an offset past 24 h, ...
        raise InputError(f"malformed YAML value: {str(e).splitlines()[0]}", origin) from None
    except RecursionError:
        raise InputError("YAML nested too deeply", origin) from None
    finally:
        if loader is not None:
            loader.dispose()
