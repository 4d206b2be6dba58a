"""The common spec, parsed by libyaml (PyYAML's C extension): the same Node tree, 10× sooner.

ruamel's pure-Python round-trip loader is the authority (YAML 1.2, located syntax errors,
duplicate keys, aliases, tags, input limits), and it took most of `validate`'s time: ~0.15 s
for the reference spec, ~4 ms per served model in a large one. Most specs are plain block
YAML: mappings, lists and untagged scalars. For those, libyaml's event stream gives the same
tree, with ruamel's own YAML 1.2 resolver deciding what each plain scalar is.

Anything outside that common case returns None and the caller parses with ruamel as before:
a syntax error, several documents, a %YAML or %TAG directive, an anchor or alias, an explicit
tag, a merge key, a duplicate key, a key that is not a string, an empty value, a number that is not
written plainly or is out of bounds, tabs or the line breaks YAML 1.1 and 1.2 disagree on, deep
nesting, or no libyaml. tests/unit/test_fast_yaml.py holds the two paths to the same tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from mlplat.stacks.errors import Location

# Characters the two parsers read differently (YAML 1.1 line breaks, tabs in indentation):
# rare in a spec, so their presence sends the document to ruamel.
_AWAY = ("\t", "\x85", "\u2028", "\u2029", "\ufeff")
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]+")
_STR, _NULL, _BOOL, _INT_TAG, _FLOAT_TAG, _TIMESTAMP = (
    f"tag:yaml.org,2002:{t}" for t in ("str", "null", "bool", "int", "float", "timestamp")
)


class _Away(Exception):
    """The document leaves the common case: ruamel parses it."""


@cache
def _libyaml() -> tuple[Any, Any, Any] | None:
    try:
        import yaml

        loader = yaml.CSafeLoader
    except (ImportError, AttributeError):
        return None
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    return yaml, loader, (VersionedResolver(version=(1, 2)), ScalarNode)


def fast_tree(text: str, file: str) -> Any:
    """The document's Node tree, or None when ruamel must parse it (see the module's docstring)."""
    from mlplat.stacks.platform_spec import tree as t

    found = _libyaml()
    if found is None or any(c in text for c in _AWAY):
        return None
    yaml, loader, resolver = found
    try:
        events = list(yaml.parse(text, Loader=loader))
    except Exception:  # noqa: BLE001 - a libyaml error of any kind: ruamel gives the located one
        return None
    try:
        return _Reader(t, events, file, text, resolver).document()
    except _Away:
        return None


class _Reader:
    def __init__(self, t: Any, events: list[Any], file: str, text: str, resolver: tuple[Any, Any]):
        self.t = t
        self.events: Iterator[Any] = iter(events)
        self.count = len(events)
        self.file = file
        self.lines = text.splitlines()
        self.resolver, self.scalar_node = resolver
        self.depth = 0

    def _next(self) -> Any:
        return next(self.events)

    def _loc(self, ev: Any) -> Location:
        m = ev.start_mark
        return Location(self.file, m.line + 1, m.column + 1)

    def document(self) -> Any:
        import yaml

        if self.count > self.t.MAX_NODES:
            raise _Away
        first, doc = self._next(), self._next()
        if not isinstance(first, yaml.StreamStartEvent) or not isinstance(doc, yaml.DocumentStartEvent):
            raise _Away
        if doc.version is not None or doc.tags:
            raise _Away
        root_ev = self._next()
        if not isinstance(root_ev, yaml.MappingStartEvent):
            raise _Away  # empty, a list or a scalar at the top: ruamel words the error
        root = self._mapping(root_ev, (), self.t.Location(self.file, 1, 1), None)
        if not isinstance(self._next(), yaml.DocumentEndEvent) or not isinstance(self._next(), yaml.StreamEndEvent):
            raise _Away  # a second document
        return root

    def _node(self, ev: Any, path: tuple[Any, ...], loc: Location, key_loc: Location | None) -> Any:
        import yaml

        if isinstance(ev, yaml.ScalarEvent):
            return self._scalar(ev, path, loc, key_loc)
        if isinstance(ev, yaml.MappingStartEvent):
            return self._mapping(ev, path, loc, key_loc)
        if isinstance(ev, yaml.SequenceStartEvent):
            return self._sequence(ev, path, loc, key_loc)
        raise _Away  # an alias

    def _enter(self, ev: Any) -> None:
        if ev.anchor is not None or ev.tag is not None:
            raise _Away
        self.depth += 1
        if self.depth >= self.t.MAX_DEPTH:
            raise _Away

    def _mapping(self, ev: Any, path: tuple[Any, ...], loc: Location, key_loc: Location | None) -> Any:
        import yaml

        self._enter(ev)
        out: dict[str, Any] = {}
        while True:
            key = self._next()
            if isinstance(key, yaml.MappingEndEvent):
                break
            if not isinstance(key, yaml.ScalarEvent) or key.anchor is not None or key.tag is not None:
                raise _Away
            if key.implicit[0] and self._tag(key.value) != _STR:
                raise _Away  # null, bool, number or merge keys: ruamel spells them
            k = key.value
            if k in out:
                raise _Away  # ruamel reports every duplicate, located
            value = self._next()
            out[k] = self._node(value, path + (k,), self._loc(value), self._loc(key))
        self.depth -= 1
        return self.t.Node(out, loc, path, key_loc)

    def _sequence(self, ev: Any, path: tuple[Any, ...], loc: Location, key_loc: Location | None) -> Any:
        import yaml

        self._enter(ev)
        items: list[Any] = []
        while True:
            item = self._next()
            if isinstance(item, yaml.SequenceEndEvent):
                break
            iloc = self._loc(item)
            items.append(self._node(item, path + (len(items),), iloc, iloc))
        self.depth -= 1
        return self.t.Node(items, loc, path, key_loc)

    def _tag(self, value: str) -> str:
        return str(self.resolver.resolve(self.scalar_node, value, (True, False)))

    def _scalar(self, ev: Any, path: tuple[Any, ...], loc: Location, key_loc: Location | None) -> Any:
        if ev.anchor is not None or ev.tag is not None:
            raise _Away
        value: Any = ev.value
        if ev.implicit[0]:  # plain: YAML 1.2's resolver decides, as ruamel's loader does
            if value == "":
                raise _Away  # `key:` alone: ruamel places the null at the next token, libyaml at the colon
            tag = self._tag(value)
            if tag == _NULL:
                value = None
            elif tag == _BOOL:
                value = value.lower() == "true"
            elif tag == _INT_TAG and _INT.fullmatch(value):
                value = int(value)
            elif tag == _FLOAT_TAG and _FLOAT.fullmatch(value):
                value = float(value)
            elif tag not in (_STR, _TIMESTAMP):  # timestamps stay text (tree._constructor)
                raise _Away
            if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > self.t.MAX_NUMBER:
                raise _Away
        raw = None if isinstance(value, str) or value is None else self.t._raw(self.lines, loc)
        return self.t.Node(value, loc, path, key_loc, raw)


__all__ = ["fast_tree"]
