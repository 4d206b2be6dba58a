"""YAML documents as location-carrying trees, and the merge rules of DESIGN section 3.

Every node remembers where it came from (file, line, column and its path in that
file), so an error found after environments are merged still points at the line the
user wrote, in the base spec, the environment override or the built-in profile.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Diagnostic, Location, SpecError, format_path

Path_ = tuple[str | int, ...]


@dataclass
class Node:
    value: Any  # dict[str, Node] | list[Node] | scalar
    loc: Location | None = None
    src_path: Path_ = ()
    key_loc: Location | None = None  # where the key naming this node stands

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


@dataclass
class LocationIndex:
    """Path in a (resolved) document → where the user wrote it."""

    nodes: dict[Path_, Node] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Node) -> "LocationIndex":
        idx = cls()

        def walk(node: Node, path: Path_) -> None:
            idx.nodes[path] = node
            if isinstance(node.value, dict):
                for k, v in node.value.items():
                    walk(v, path + (k,))
            elif isinstance(node.value, list):
                for i, v in enumerate(node.value):
                    walk(v, path + (i,))

        walk(root, ())
        return idx

    def nearest(self, path: Path_) -> tuple[Node | None, Path_]:
        """The node at `path`, or its closest existing ancestor."""
        p = tuple(path)
        while p and p not in self.nodes:
            p = p[:-1]
        return self.nodes.get(p), p

    def locate(self, path: Path_, *, key: bool = False) -> tuple[Location | None, str]:
        """Location and the user-facing dotted path for a resolved path."""
        node, found = self.nearest(path)
        if node is None:
            return None, format_path(path)
        loc = (node.key_loc or node.loc) if key else (node.loc or node.key_loc)
        # Report the path as the user wrote it; keep the part below the nearest node (missing keys).
        rest = tuple(path[len(found) :])
        return loc, format_path(node.src_path + rest)

    def diagnostic(self, path: Path_, message: str, *, key: bool = False, env: str | None = None) -> Diagnostic:
        loc, dotted = self.locate(path, key=key)
        return Diagnostic(loc, dotted, message, (env,) if env else ())


# --------------------------------------------------------------------------- loading


def _yaml():  # ruamel is imported lazily: it is the only YAML parser we need
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


def _scalar(v: Any) -> Any:
    # ruamel's round-trip scalars subclass the builtins; hand pydantic the builtins.
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, _dt.datetime):
        return _dt.datetime(v.year, v.month, v.day, v.hour, v.minute, v.second)
    if isinstance(v, _dt.date):
        return _dt.date(v.year, v.month, v.day)
    return v


def _to_node(obj: Any, file: str, path: Path_, loc: Location | None, key_loc: Location | None) -> Node:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(obj, CommentedMap):
        out: dict[str, Node] = {}
        for k in obj:
            try:
                kl, kc, vl, vc = obj.lc.data[k]
                kloc: Location | None = Location(file, kl + 1, kc + 1)
                vloc: Location | None = Location(file, vl + 1, vc + 1)
            except (KeyError, TypeError, AttributeError):  # merged keys (<<) have no own position
                kloc = vloc = loc
            out[str(k)] = _to_node(obj[k], file, path + (str(k),), vloc, kloc)
        return Node(out, loc, path, key_loc)
    if isinstance(obj, CommentedSeq):
        items = []
        for i, item in enumerate(obj):
            try:
                il, ic = obj.lc.data[i]
                iloc: Location | None = Location(file, il + 1, ic + 1)
            except (KeyError, TypeError, AttributeError, IndexError):
                iloc = loc
            items.append(_to_node(item, file, path + (i,), iloc, iloc))
        return Node(items, loc, path, key_loc)
    return Node(_scalar(obj), loc, path, key_loc)


def parse_yaml(text: str, file: str) -> Node:
    """Parse one YAML document into a Node tree; syntax errors become located diagnostics."""
    from ruamel.yaml.error import MarkedYAMLError

    try:
        docs = list(_yaml().load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else None
        what = (exc.problem or str(exc)).strip()
        if "duplicate key" in what or exc.__class__.__name__ == "DuplicateKeyError":
            key = what.split('"')[1] if '"' in what else ""
            what = f"duplicate key {key!r}" + (
                f" (first defined on line {exc.context_mark.line + 1})" if exc.context_mark else ""
            )
        raise SpecError([Diagnostic(loc, "", f"YAML syntax error: {what}")]) from None
    except Exception as exc:  # ruamel raises a few unmarked errors (e.g. bad encodings)
        raise SpecError([Diagnostic(Location(file, 1, 1), "", f"cannot parse YAML: {exc}")]) from None
    docs = [d for d in docs if d is not None]
    if not docs:
        raise SpecError([Diagnostic(Location(file, 1, 1), "", "the file is empty; expected a Platform spec mapping")])
    if len(docs) > 1:
        raise SpecError([Diagnostic(Location(file, 1, 1), "", "expected one YAML document, found several")])
    root = _to_node(docs[0], file, (), Location(file, 1, 1), None)
    if not isinstance(root.value, dict):
        kind = type(root.plain()).__name__
        raise SpecError([Diagnostic(Location(file, 1, 1), "", f"expected a mapping at the top level, got {kind}")])
    return root


def load_yaml(path: str | Path, display: str | None = None) -> Node:
    p = Path(path)
    name = display or str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([Diagnostic(None, "", f"{name}: no such file")]) from None
    except IsADirectoryError:
        raise SpecError([Diagnostic(None, "", f"{name}: is a directory, expected a YAML file")]) from None
    except UnicodeDecodeError as exc:
        raise SpecError([Diagnostic(Location(name, 1, 1), "", f"not UTF-8 text: {exc.reason}")]) from None
    return parse_yaml(text, name)


# --------------------------------------------------------------------------- merging


def merge(base: Node | None, over: Node, keep_base_loc: bool = False) -> Node:
    """Merge `over` onto `base`: maps deeply, named lists by `name`, other lists replace, `null` removes.

    With `keep_base_loc`, merged containers keep the base's position (an environment
    override should not move "where tracking is declared" to the override block).
    """
    if base is None:
        return over
    where = base if keep_base_loc and base.loc is not None else over
    if isinstance(base.value, dict) and isinstance(over.value, dict):
        out = dict(base.value)
        for k, v in over.value.items():
            if v.value is None:
                out.pop(k, None)
            else:
                out[k] = merge(out.get(k), v, keep_base_loc)
        return Node(out, where.loc, where.src_path, where.key_loc or base.key_loc)
    if isinstance(base.value, list) and isinstance(over.value, list) and _named(base.value) and _named(over.value):
        items = list(base.value)
        index = {item.value["name"].value: i for i, item in enumerate(items)}
        for item in over.value:
            name = item.value["name"].value
            if name in index:
                items[index[name]] = merge(items[index[name]], item, keep_base_loc)
            else:
                index[name] = len(items)
                items.append(item)
        return Node(items, where.loc, where.src_path, where.key_loc or base.key_loc)
    return over


def _named(items: list[Node]) -> bool:
    return all(
        isinstance(i.value, dict) and "name" in i.value and isinstance(i.value["name"].value, str) for i in items
    )


def path_str(path: Path_) -> str:
    return format_path(path)


__all__ = ["LocationIndex", "Node", "load_yaml", "merge", "parse_yaml", "path_str"]
