"""YAML documents as location-carrying trees, and the merge rules of DESIGN section 3.

Every node remembers where it came from (file, line, column and its path in that
file), so an error found after environments are merged still points at the line the
user wrote, in the base spec, the environment override or the built-in profile.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mlplat.stacks.errors import Diagnostic, Location, SpecError, format_path

Path_ = tuple[str | int, ...]


@dataclass
class Node:
    value: Any  # dict[str, Node] | list[Node] | scalar
    loc: Location | None = None
    src_path: Path_ = ()
    key_loc: Location | None = None  # where the key naming this node stands
    # Source text of a non-string scalar (`1.30` parses to 1.3): messages quote what the user wrote.
    raw: str | None = None

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def copy(self) -> Node:
        """A deep copy of the containers (scalars are immutable): resolution mutates its own tree,
        never the parsed document or the cached built-in profiles."""
        if isinstance(self.value, dict):
            value: Any = {k: v.copy() for k, v in self.value.items()}
        elif isinstance(self.value, list):
            value = [v.copy() for v in self.value]
        else:
            value = self.value
        return Node(value, self.loc, self.src_path, self.key_loc, self.raw)


@dataclass
class LocationIndex:
    """Path in a (resolved) document → where the user wrote it."""

    nodes: dict[Path_, Node] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Node) -> LocationIndex:
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

    def diagnostic(
        self, path: Path_, message: str, *, key: bool = False, env: str | None = None
    ) -> Diagnostic:
        loc, dotted = self.locate(path, key=key)
        return Diagnostic(loc, dotted, message, (env,) if env else ())


# --------------------------------------------------------------------------- loading

TOP_LEVEL_HINT = "apiVersion, kind, metadata, target, …"
MAX_SPEC_BYTES = 5_000_000  # specs are a few KB; anything this big is the wrong file
# Input limits (README "Error handling"). A 600-byte alias bomb expands to billions of nodes:
# every alias use is counted and the whole expanded tree is bounded, so it fails in
# milliseconds instead of exhausting memory. The reference spec has ~400 nodes and no alias.
MAX_NODES = 200_000  # nodes after alias expansion
MAX_ALIAS_USES = 1_000  # times an anchored mapping or list is reused through `*alias`
MAX_DEPTH = 64  # nesting of mappings and lists
# Numbers: no size, count or price in a spec comes near 10^12; bounding every number here keeps
# every estimate finite (`cost --format json` once printed Infinity, and a 400-digit
# max_size ended in OverflowError, exit 3).
MAX_NUMBER = 10**12


@cache
def _constructor() -> type:
    from ruamel.yaml.constructor import RoundTripConstructor

    class Constructor(RoundTripConstructor):
        """Timestamps stay strings: `expires: 2026-13-01` must become a located validation
        error, not a bare ValueError from the YAML layer, and a name like 2024-01-01 stays
        the string the user wrote. Fields that are dates parse the string themselves."""

    def as_text(self: Any, node: Any) -> str:
        return str(self.construct_scalar(node))

    # add_constructor copies the table into the subclass: ruamel's own class is untouched.
    Constructor.add_constructor("tag:yaml.org,2002:timestamp", as_text)
    for tag in ("bool", "int", "float", "binary"):
        full = f"tag:yaml.org,2002:{tag}"
        Constructor.add_constructor(full, _guarded(tag, RoundTripConstructor.yaml_constructors[full]))
    return Constructor


def _guarded(tag: str, construct: Any) -> Any:
    """`!!bool hunter2` made ruamel raise a bare KeyError('hunter2'): an exit 3 that printed the
    value, which in a credential position is the credential. A tagged scalar that does not read
    as its tag becomes a located error that never quotes the value."""
    from ruamel.yaml.constructor import ConstructorError

    def guarded(self: Any, node: Any) -> Any:
        try:
            return construct(self, node)
        except ConstructorError:
            raise
        except Exception:  # noqa: BLE001 - KeyError, ValueError, binascii.Error, …: all one mistake
            raise ConstructorError(
                None, None, f"the value does not read as !!{tag} (remove the tag or fix the value)",
                node.start_mark,
            ) from None

    return guarded


def _yaml():  # ruamel is imported lazily: it is the only YAML parser we need
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.Constructor = _constructor()
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


_TOKEN = re.compile(r"[^\s,\]\}#]+")


def _raw(lines: list[str], loc: Location | None) -> str | None:
    """The scalar token as written at `loc` (numbers lose their spelling when parsed: 1.30 → 1.3)."""
    if loc is None or not 0 < loc.line <= len(lines):
        return None
    m = _TOKEN.match(lines[loc.line - 1], loc.col - 1)
    return m.group(0) if m else None


def _key(k: Any) -> str:
    """Mapping keys as the user would write them (`~: x` is the key null, not 'None')."""
    if k is None:
        return "null"
    if isinstance(k, bool):
        return str(k).lower()
    return str(k)


class _Builder:
    def __init__(self, file: str, text: str):
        self.file = file
        self.lines = text.splitlines()
        self.active: set[int] = set()  # containers on the current path (alias cycles)
        self.built: set[int] = set()  # containers already expanded once (a second time is an alias)
        self.nodes = 0
        self.alias_uses = 0

    def _limit(self, loc: Location | None, path: Path_, message: str) -> SpecError:
        return SpecError([Diagnostic(loc, format_path(path), message)])

    def _number(self, value: float, loc: Location | None, path: Path_) -> None:
        import math

        if isinstance(value, float) and not math.isfinite(value):
            raise self._limit(loc, path, "must be a finite number (.inf and .nan are never meaningful here)")
        if abs(value) > MAX_NUMBER:
            raise self._limit(loc, path, "number too large (input limit: at most 10^12 in absolute value)")

    def node(self, obj: Any, path: Path_, loc: Location | None, key_loc: Location | None) -> Node:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._limit(
                loc, path, f"the document expands to more than {MAX_NODES:,} nodes (input limit; "
                "YAML aliases repeated inside aliases?)",
            )
        if isinstance(obj, (CommentedMap, CommentedSeq)):
            if id(obj) in self.active:
                raise SpecError(
                    [Diagnostic(loc, format_path(path), "recursive YAML alias: a node contains itself")]
                )
            if len(self.active) >= MAX_DEPTH:
                raise self._limit(loc, path, f"nested more than {MAX_DEPTH} levels deep (input limit)")
            if id(obj) in self.built:
                self.alias_uses += 1
                if self.alias_uses > MAX_ALIAS_USES:
                    raise self._limit(
                        loc, path, f"more than {MAX_ALIAS_USES:,} uses of YAML aliases (input limit)"
                    )
            self.built.add(id(obj))
            self.active.add(id(obj))
            try:
                return self._container(obj, path, loc, key_loc, isinstance(obj, CommentedMap))
            finally:
                self.active.discard(id(obj))
        value = _scalar(obj)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self._number(value, loc, path)
        raw = None if isinstance(value, str) or value is None else _raw(self.lines, loc)
        return Node(value, loc, path, key_loc, raw)

    def _container(
        self, obj: Any, path: Path_, loc: Location | None, key_loc: Location | None, is_map: bool
    ) -> Node:
        f = self.file
        if is_map:
            out: dict[str, Node] = {}
            for k in obj:
                try:
                    kl, kc, vl, vc = obj.lc.data[k]
                    kloc: Location | None = Location(f, kl + 1, kc + 1)
                    vloc: Location | None = Location(f, vl + 1, vc + 1)
                except (
                    KeyError,
                    TypeError,
                    AttributeError,
                    ValueError,
                ):  # merged keys (<<) have no own position
                    kloc = vloc = loc
                out[_key(k)] = self.node(obj[k], path + (_key(k),), vloc, kloc)
            return Node(out, loc, path, key_loc)
        items = []
        for i, item in enumerate(obj):
            try:
                il, ic = obj.lc.data[i]
                iloc: Location | None = Location(f, il + 1, ic + 1)
            except (KeyError, TypeError, AttributeError, IndexError, ValueError):
                iloc = loc
            items.append(self.node(item, path + (i,), iloc, iloc))
        return Node(items, loc, path, key_loc)


def _duplicate_keys(text: str, file: str) -> list[Diagnostic]:
    """Every duplicate key in the document, located, with the line of the first definition.

    ruamel stops at the first duplicate and its message carries both values (which could be
    credentials), so we walk the composed node graph ourselves and report keys only.
    """
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    out: list[Diagnostic] = []
    seen: set[int] = set()

    def walk(node: Any, path: Path_) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[str, Any] = {}
            for key, value in node.value:
                k = str(key.value)
                if k in first and key.tag.endswith((":str", ":int", ":bool", ":null", ":float")):
                    m = key.start_mark
                    out.append(
                        Diagnostic(
                            Location(file, m.line + 1, m.column + 1),
                            format_path(path + (k,)),
                            f"duplicate key {k!r} (first defined on line {first[k].start_mark.line + 1})",
                        )
                    )
                else:
                    first.setdefault(k, key)
                walk(value, path + (k,))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    try:
        for doc in _yaml().compose_all(text):
            walk(doc, ())
    except Exception:  # noqa: BLE001 - the composer is a second opinion; the loader's error stands
        return []
    return out


def _syntax_error(exc: Any, file: str, text: str) -> SpecError:
    if exc.__class__.__name__ == "DuplicateKeyError":
        dups = _duplicate_keys(text, file)
        if dups:
            return SpecError(dups)
        # Never fall through to str(exc): ruamel's message includes both values.
        mark = exc.problem_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        return SpecError([Diagnostic(loc, "", "duplicate key")])
    mark = exc.problem_mark or exc.context_mark
    loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
    what = (exc.problem or str(exc)).strip()
    if "alias" in what:
        # `password: *hunter2` (a literal that starts with `*`) must not print hunter2.
        what = re.sub(r"\s*'[^']*'", "", what) + " (an `*name` must refer to an earlier `&name`)"
    if "'\\t'" in what:
        what = "a tab character: YAML indentation must use spaces, not tabs"
    elif exc.context and exc.context.strip() not in what:
        what = f"{what} ({exc.context.strip()}" + (
            f" on line {exc.context_mark.line + 1})" if exc.context_mark and exc.problem_mark else ")"
        )
    return SpecError([Diagnostic(loc, "", f"YAML syntax error: {what}")])


def _position(text: str, pos: int) -> tuple[int, int]:
    before = text[:pos]
    return before.count("\n") + 1, pos - (before.rfind("\n") + 1) + 1


_MANY_COMMENTS = 1_000  # below this many `#` in a small file, stripping comments gains nothing measurable
_BIG_TEXT = 100_000


def without_comment_lines(text: str) -> str:
    """`text` with every comment-only line emptied (line and column numbers unchanged).

    ruamel's round-trip scanner keeps comments by appending each to the last one, string by
    string: quadratic, 111 s for a 4.4 MB file of comments. The spec never needs its comments,
    so they are removed first, except inside multi-line scalars (a `# …` line in a `|` block
    is text). libyaml's scanner (PyYAML's C extension) finds those scalars in milliseconds;
    without it, or if it disagrees with the file, the text is left as it is.
    """
    if len(text) < _BIG_TEXT and text.count("#") < _MANY_COMMENTS:
        return text
    try:
        import yaml

        loader = yaml.CSafeLoader
    except (ImportError, AttributeError):
        return text
    inside: set[int] = set()  # 0-based lines inside a multi-line scalar
    try:
        for tok in yaml.scan(text, Loader=loader):
            if isinstance(tok, yaml.ScalarToken) and tok.end_mark.line > tok.start_mark.line:
                inside.update(range(tok.start_mark.line, tok.end_mark.line + 1))
    except yaml.YAMLError:
        return text  # ruamel reports the problem, located
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i not in inside and line.lstrip(" \t").startswith("#"):
            lines[i] = ""
    return "\n".join(lines)


def parse_yaml(text: str, file: str) -> Node:
    """Parse one YAML document into a Node tree; syntax errors become located diagnostics."""
    from mlplat.stacks.platform_spec.fast_yaml import fast_tree

    root = fast_tree(text, file)
    if root is not None:
        return root
    return parse_yaml_ruamel(text, file)


def parse_yaml_ruamel(text: str, file: str) -> Node:
    """parse_yaml through ruamel alone: every document, the authority on what YAML means here."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    text = without_comment_lines(text)

    try:
        docs = list(_yaml().load_all(text))
    except MarkedYAMLError as exc:
        raise _syntax_error(exc, file, text) from None
    except ReaderError as exc:
        line, col = _position(text, exc.position)
        raise SpecError(
            [
                Diagnostic(
                    Location(file, line, col),
                    "",
                    f"not a text file: unacceptable character #x{exc.character:04x}",
                )
            ]
        ) from None
    except (YAMLError, RecursionError, ValueError, TypeError, KeyError) as exc:  # unmarked parser errors
        raise SpecError(
            [Diagnostic(Location(file, 1, 1), "", f"cannot parse YAML: {type(exc).__name__}")]
        ) from None
    nonempty = [i for i, d in enumerate(docs) if d is not None]
    if not nonempty:
        raise SpecError(
            [
                Diagnostic(
                    Location(file, 1, 1),
                    "",
                    f"the file is empty; expected a Platform spec mapping ({TOP_LEVEL_HINT})",
                )
            ]
        )
    if len(docs) > 1:
        second = docs[1]
        lc = getattr(second, "lc", None)
        loc = (
            Location(file, lc.line + 1, lc.col + 1)
            if lc is not None and lc.line is not None
            else Location(file, 1, 1)
        )
        raise SpecError(
            [
                Diagnostic(
                    loc, "", f"expected one YAML document, found {len(docs)} (remove the '---' separators)"
                )
            ]
        )
    builder = _Builder(file, text)
    root = builder.node(docs[0], (), Location(file, 1, 1), None)
    if not isinstance(root.value, dict):
        got = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
            type(root.value), type(root.value).__name__
        )
        raise SpecError(
            [Diagnostic(root.loc, "", f"expected a mapping at the top level ({TOP_LEVEL_HINT}), got {got}")]
        )
    return root


def load_yaml(path: str | Path, display: str | None = None) -> Node:
    p = Path(path)
    name = display or str(path)
    try:
        if p.exists() and not p.is_dir() and not p.is_file():
            # /dev/zero, a FIFO…: reading would never end.
            raise SpecError([Diagnostic(None, "", f"{name}: not a regular file")])
        if p.is_file() and p.stat().st_size > MAX_SPEC_BYTES:
            size = p.stat().st_size // 1_000_000
            raise SpecError([Diagnostic(None, "", f"{name}: {size} MB is far too large for a platform spec")])
        data = p.read_bytes()
    except FileNotFoundError:
        raise SpecError([Diagnostic(None, "", f"{name}: no such file")]) from None
    except IsADirectoryError:
        raise SpecError([Diagnostic(None, "", f"{name}: is a directory, expected a YAML file")]) from None
    except OSError as exc:  # permissions, special files, I/O errors
        raise SpecError([Diagnostic(None, "", f"{name}: cannot read: {exc.strerror or exc}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        line, col = _position(before, len(before))
        raise SpecError(
            [
                Diagnostic(
                    Location(name, line, col), "", f"not UTF-8 text ({exc.reason}); is this a binary file?"
                )
            ]
        ) from None
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
    if (
        isinstance(base.value, list)
        and isinstance(over.value, list)
        and _mergeable_by_name(base.value, over.value)
    ):
        items: list[Node | None] = list(base.value)
        index = {_name_of(item): i for i, item in enumerate(items) if item is not None and _name_of(item) is not None}
        for item in over.value:
            name = item.value["name"].value
            if _deletes(item):
                # `{name: a100, $patch: delete}` (Kustomize's strategic-merge syntax): the
                # environment drops an entry it inherits. Deleting what is not there is a mistake.
                if name not in index or items[index[name]] is None:
                    raise SpecError([Diagnostic(item.loc, format_path(item.src_path),
                                                f"$patch: delete names {name!r}, which is not inherited here")])
                items[index[name]] = None
            elif name in index and items[index[name]] is not None:
                items[index[name]] = merge(items[index[name]], item, keep_base_loc)  # type: ignore[arg-type]
            else:
                index[name] = len(items)
                items.append(item)
        kept = [i for i in items if i is not None]
        return Node(kept, where.loc, where.src_path, where.key_loc or base.key_loc)
    return over


PATCH_KEY = "$patch"


def _deletes(item: Node) -> bool:
    """An override list item `{name: x, $patch: delete}`; any other `$patch` is an error."""
    patch = item.value.get(PATCH_KEY) if isinstance(item.value, dict) else None
    if patch is None:
        return False
    if patch.value != "delete" or set(item.value) != {"name", PATCH_KEY}:
        raise SpecError([Diagnostic(patch.loc, format_path(patch.src_path),
                                    "$patch supports only `delete`, beside `name` and nothing else: "
                                    "{name: <entry>, $patch: delete}")])
    return True


def _name_of(item: Node) -> str | None:
    if isinstance(item.value, dict) and "name" in item.value and isinstance(item.value["name"].value, str):
        return item.value["name"].value
    return None


def _mergeable_by_name(base: list[Node], over: list[Node]) -> bool:
    """Lists of objects with `name` merge by name. A base item that lacks its name (an error
    reported on its own) stays as it is rather than turning the merge into a replacement,
    which would bury that one error under a cascade of others."""
    return (
        bool(over)
        and all(_name_of(i) is not None for i in over)
        and all(isinstance(i.value, dict) for i in base)
        and any(_name_of(i) is not None for i in base)
    )


def path_str(path: Path_) -> str:
    return format_path(path)


__all__ = ["LocationIndex", "Node", "load_yaml", "merge", "parse_yaml", "path_str"]
