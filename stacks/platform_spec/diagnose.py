"""Checking a merged tree with the pydantic model and turning validation errors into located, readable diagnostics."""


from __future__ import annotations

import datetime as _dt
import difflib
import types
import typing
from collections.abc import Set as AbstractSet
from typing import Any, Literal, Union

from mlplat.stacks.errors import Diagnostic, format_path
from mlplat.stacks.platform_spec import semantic
from mlplat.stacks.platform_spec.model import AwsTarget, KubernetesTarget, PlatformSpec, SecretRef
from mlplat.stacks.platform_spec.tree import LocationIndex, Node, Path_
from pydantic import BaseModel, ValidationError


def check_tree(tree: Node, env: str | None = None) -> tuple[PlatformSpec | None, list[Diagnostic]]:
    """Validate a merged tree: structure (pydantic) and semantic rules, every error at once.

    The tree may be pruned in place (see _Pruner); pass a copy if it is still needed.
    Returns the spec (None when the document is beyond repair) and the diagnostics.
    """
    pruner = _Pruner(tree)
    diags: list[Diagnostic] = []
    spec: PlatformSpec | None = None
    for attempt in range(16):  # each round removes at least one node; nesting is shallow
        index = LocationIndex.of(tree)
        data = tree.plain()
        try:
            spec = PlatformSpec.model_validate(data)
            break
        except ValidationError as exc:
            groups = _error_groups(exc, data)
        progress = False
        for path, errs in groups.items():
            kind = errs[0]["type"]
            if not (attempt and pruner.is_consequence(pruner.orig_path(index, path))):
                node = index.nodes.get(path)
                msg = _group_message(errs, path, data, node.raw if node is not None else None)
                located = kind in ("extra_forbidden", "missing", "union_tag_not_found")
                diags.append(index.diagnostic(path, msg, key=located, env=env))
            progress = pruner.prune(index, path, kind, data) or progress
        if not progress:
            break
    if spec is None:
        return None, diags
    index = LocationIndex.of(tree)
    for f in semantic.findings(spec, env):
        reads = (f.path, *f.reads)
        if any(pruner.touches_pruned(pruner.orig_path(index, r)) for r in reads):
            continue
        diags.append(index.diagnostic(f.path, f.message + _elsewhere(index, f), env=env))
    return spec, diags


def _elsewhere(index: LocationIndex, f: semantic.Finding) -> str:
    """Name the other fields a rule read when they were written elsewhere (an environment
    override, a profile): the error is reported at one place but caused at another."""
    here = index.nodes.get(f.path)
    if here is None or here.loc is None:
        return ""
    notes = []
    for r in f.reads:
        there = index.nodes.get(r)
        if there is None or there.loc is None or there.loc.file is None:
            continue
        other_file = there.loc.file != here.loc.file
        from_env = there.src_path[:1] == ("environments",) and here.src_path[:1] != ("environments",)
        if other_file or from_env:
            where = str(there.loc) if other_file else f"line {there.loc.line}"
            notes.append(f"{format_path(there.src_path)} on {where}")
    return f"; see {', '.join(notes)}" if notes else ""


# --------------------------------------------------------------------------- the model, walked by path


_NO_PLACEHOLDER = object()
# Stand-ins for required strings that carry their own format checks.
_PLACEHOLDER_STR = {"name": "placeholder", "instance_type": "m6i.large", "uri": "s3://placeholder/x"}


def _unwrap(ann: Any) -> Any:
    """Strip Annotated and Optional; a union of several types stays a union."""
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(members) == 1:
                ann = members[0]
                continue
        return ann


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _union_members(ann: Any) -> list[Any]:
    if typing.get_origin(ann) in (Union, types.UnionType):
        return [_unwrap(a) for a in typing.get_args(ann) if a is not type(None)]
    return []


def _tagged_member(members: list[Any], tag: Any) -> Any:
    for m in members:
        provider = m.model_fields.get("provider") if _is_model(m) else None
        if provider is not None and tag in typing.get_args(provider.annotation):
            return m
    return None


def _walk(loc: tuple[Any, ...], data: Any) -> tuple[Path_, list[Any]]:
    """Follow a pydantic error location (or a plain data path) through the model and the data.

    Returns the path as it stands in the data (union-member tags such as 'aws' or 'str'
    dropped) and the annotation reached after each kept step.
    """
    ann: Any = PlatformSpec
    node = data
    out: list[Any] = []
    anns: list[Any] = []
    i = 0
    while i < len(loc):
        part = loc[i]
        ann = _unwrap(ann)
        members = _union_members(ann)
        if members:
            tagged = _tagged_member(members, part)
            if tagged is not None:  # a discriminated union: pydantic puts the tag in the loc
                ann = tagged
                i += 1
                continue
            chosen = _tagged_member(members, node.get("provider")) if isinstance(node, dict) else None
            if chosen is not None:  # a data path: the member the data names
                ann = chosen
                continue
            break  # a plain union ('str', 'int', 'function-after[...]'): nothing below is data
        if _is_model(ann) and isinstance(part, str):
            field = ann.model_fields.get(part)
            out.append(part)
            anns.append(field.annotation if field else None)
            if field is None:
                break  # an unknown key
            ann = field.annotation
        elif typing.get_origin(ann) is dict and isinstance(part, str):
            out.append(part)
            ann = typing.get_args(ann)[1]
            anns.append(ann)
        elif typing.get_origin(ann) is list and isinstance(part, int):
            out.append(part)
            ann = typing.get_args(ann)[0]
            anns.append(ann)
        else:
            break
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
        i += 1
    return tuple(out), anns


def _model_at(path: Path_, data: Any) -> Any:
    """The model class whose fields live at `path` (for did-you-mean), or None."""
    if not path:
        return PlatformSpec
    _, anns = _walk(path, data)
    if len(anns) != len(path) or anns[-1] is None:
        return None
    ann = _unwrap(anns[-1])
    members = _union_members(ann)
    if members:
        node = _data_at(path, data)
        ann = _tagged_member(members, node.get("provider") if isinstance(node, dict) else None)
    return ann if _is_model(ann) else None


def _data_at(path: Path_, data: Any) -> Any:
    node = data
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _allowed_keys(path: Path_, data: Any) -> list[str]:
    """Field names of the model found at `path` (for did-you-mean)."""
    model = _model_at(path, data)
    return list(model.model_fields) if model is not None else []


def _placeholder(path: Path_, data: Any) -> Any:
    model = _model_at(path[:-1], data)
    field = model.model_fields.get(str(path[-1])) if model is not None else None
    if field is None:
        return _NO_PLACEHOLDER
    ann = _unwrap(field.annotation)
    if typing.get_origin(ann) is Literal:
        return typing.get_args(ann)[0]
    if ann is str:
        return _PLACEHOLDER_STR.get(str(path[-1]), "placeholder")
    return _NO_PLACEHOLDER


def _is_secret_path(path: Path_, data: Any) -> bool:
    """Does `path` run through a credential field? Then no message may echo the value."""
    _, anns = _walk(path, data)
    return any(_unwrap(a) is SecretRef for a in anns if a is not None) or any(
        p in ("from_env", "secret_ref") for p in path if isinstance(p, str)
    )


# --------------------------------------------------------------------------- pydantic → located messages


def _error_groups(exc: ValidationError, data: Any) -> dict[Path_, list[Any]]:
    """Errors by the data path they concern; a union reports one error per member type."""
    groups: dict[Path_, list[Any]] = {}
    for err in exc.errors(include_url=False):
        path, _ = _walk(tuple(err["loc"]), data)
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = (*path, "provider")  # point at the tag itself, wherever it was written
        groups.setdefault(path, []).append(err)
    return groups


def _group_message(errs: list[Any], path: Path_, data: Any, raw: str | None = None) -> str:
    secret = _is_secret_path(path, data)
    if len(errs) > 1 and all(_is_type_error(e["type"]) for e in errs):
        expected = list(dict.fromkeys(_TYPE_NAMES.get(e["type"], e["type"]) for e in errs))
        if "a number" in expected and "an integer" in expected:
            expected.remove("an integer")
        return f"expected {' or '.join(expected)}, got {_type_name(errs[0].get('input'), secret)}"
    return _message(errs[0], path, data, secret, raw)


def _is_type_error(kind: str) -> bool:
    return kind.endswith(("_type", "_parsing"))


def _dym(value: Any, choices: list[str], cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=cutoff)
    return f"; did you mean {close[0]!r}?" if close else ""


def _message(err: Any, path: Path_, data: Any, secret: bool = False, raw: str | None = None) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    inp = err.get("input")
    shown = "" if secret else f" {inp!r}"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1], data)
        key = str(path[-1])
        listed = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"unknown key {key!r}{_dym(key, allowed)}{listed}"
    if kind == "missing":
        model = _model_at(path[:-1], data)
        field = model.model_fields.get(str(path[-1])) if model is not None else None
        about = f": {field.description}" if field is not None and field.description else ""
        return f"missing required key {path[-1]!r}{about}"
    if kind in ("literal_error", "enum"):
        expected = [
            e.strip().strip("'") for e in str(ctx.get("expected", "")).replace(" or ", ",").split(",")
        ]
        expected = [e for e in expected if e]
        what = "kind" if path and path[-1] == "kind" else "value"
        hint = "" if secret else _dym(inp, expected, 0.5)
        return f"unsupported {what}{shown}{hint} (supported: {', '.join(expected)})"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        if kind == "union_tag_not_found":
            tags = [
                t
                for m in (AwsTarget, KubernetesTarget)
                for t in typing.get_args(m.model_fields["provider"].annotation)
            ]
            return f"missing required key 'provider' (one of: {', '.join(tags)})"
        tag = ctx.get("tag")
        return f"unsupported provider {tag!r}{_dym(tag, tags, 0.5)} (supported: {', '.join(tags)})"
    if _is_type_error(kind) or kind == "model_attributes_type":
        expected = _TYPE_NAMES.get(kind, kind.replace("_type", "").replace("_parsing", ""))
        return f"expected {expected}, got {_type_name(inp, secret)}{'' if secret else _type_hint(kind, inp, raw)}"
    if kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        # "metadata.name must be …" under the path metadata.name: say it once.
        for prefix in (format_path(path), str(path[-1]) if path else ""):
            if prefix and msg.startswith(f"{prefix} must"):
                return msg[len(prefix) + 1 :]
        return msg
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[
            kind
        ]
        bound = next(iter(ctx.values()), "?")
        return f"must be {op} {bound}" + ("" if secret else f" (got {inp})")
    if kind == "string_pattern_mismatch":
        field = path[-1] if path else ""
        if field == "from_env":
            return "expected an environment variable name (letters, digits, '_'; not starting with a digit)"
        if field == "secret_ref":
            return "expected a secret reference '<store>/<path>' (store: lowercase letters, digits, '-')"
        return f"does not match the expected form {ctx.get('pattern')!r}" + (
            "" if secret else f" (got {inp!r})"
        )
    if kind == "finite_number":
        return "must be a finite number" + ("" if secret else f" (got {inp})")
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind == "too_long":
        return f"has {ctx.get('actual_length')} entries; the input limit is {ctx.get('max_length')}"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')})"
    return str(err["msg"])


def _type_hint(kind: str, inp: Any, raw: str | None) -> str:
    if kind == "string_type" and isinstance(inp, (int, float)) and not isinstance(inp, bool):
        return f' (quote it: "{raw or inp}")'
    if kind == "string_type" and isinstance(inp, bool):
        return " (quote it if you meant a string)"
    if kind in ("int_type", "float_type") and isinstance(inp, str):
        try:
            float(inp)
            return " (remove the quotes)"
        except ValueError:
            return ""
    if kind == "bool_type" and isinstance(inp, str) and inp.lower() in ("yes", "no", "on", "off", "y", "n"):
        return " (YAML 1.2 reads yes/no/on/off as strings: write true or false)"
    return ""


_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
}


def _type_name(v: Any, secret: bool = False) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean" if secret else f"a boolean ({str(v).lower()})"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, (int, float)):
        return "a number" if secret else f"a number ({v})"
    if isinstance(v, str):
        return "a string" if secret or len(v) > 40 else f"the string {v!r}"
    if isinstance(v, (_dt.date, _dt.datetime)):
        return "a date"
    if isinstance(v, AbstractSet):
        return "a set"
    return type(v).__name__


class _Pruner:
    """Removes what pydantic refused, so the rest of the document can still be checked.

    Pydantic stops at the first failing level (a model's after-validators, and so every
    semantic rule, only run when its fields are valid). To report every error in a file at
    once, each refused node is dropped (a refused required key gets a placeholder, or its
    parent is dropped) and validation runs again. Paths are kept in the coordinates of
    the original tree, so errors caused only by the pruning itself can be recognised and
    left out: a `missing` key we removed, an after-validator of the model we pruned into,
    a semantic rule that read a dropped field.
    """

    def __init__(self, tree: Node):
        self.tree = tree
        self.orig: dict[int, Path_] = {id(n): p for p, n in LocationIndex.of(tree).nodes.items()}
        self.pruned: list[Path_] = []
        self.placeheld: set[Path_] = set()

    def orig_path(self, index: LocationIndex, path: Path_) -> Path_:
        node, found = index.nearest(path)
        base = self.orig.get(id(node), found) if node is not None else ()
        return base + tuple(path[len(found) :])

    def is_consequence(self, opath: Path_) -> bool:
        """An error at or above something we pruned exists only because we pruned it."""
        return any(p[: len(opath)] == opath for p in self.pruned)

    def touches_pruned(self, opath: Path_) -> bool:
        return any(_related(opath, p) for p in self.pruned)

    def prune(self, index: LocationIndex, path: Path_, kind: str, data: Any) -> bool:
        if kind == "missing":
            return self._fill_missing(index, path, data)
        node, found = index.nearest(path)
        if node is None or not found:
            return False  # the document root itself: nothing to fall back to
        return self._remove(index, found)

    def _remove(self, index: LocationIndex, path: Path_) -> bool:
        parent = index.nodes.get(path[:-1])
        child = index.nodes.get(path)
        if parent is None or child is None:
            return False
        self.pruned.append(self.orig_path(index, path))
        if isinstance(parent.value, dict):
            parent.value.pop(str(path[-1]), None)
        elif isinstance(parent.value, list):
            # By identity: list positions shift, nodes do not (their locations stay right).
            parent.value[:] = [n for n in parent.value if n is not child]
        return True

    def _fill_missing(self, index: LocationIndex, path: Path_, data: Any) -> bool:
        parent_path = path[:-1]
        parent = index.nodes.get(parent_path)
        opath = self.orig_path(index, path)
        if parent is None or not isinstance(parent.value, dict):
            return False
        value = _placeholder(path, data)
        if value is not _NO_PLACEHOLDER and opath not in self.placeheld:
            # A stand-in keeps the rest of the section checkable (an invalid metadata.name
            # must not hide every other error); rules reading it are suppressed.
            self.placeheld.add(opath)
            self.pruned.append(opath)
            node = Node(value, parent.loc, parent.src_path + (path[-1],), parent.key_loc)
            self.orig[id(node)] = opath
            parent.value[str(path[-1])] = node
            return True
        if not parent_path:
            return False  # a required top-level key: nothing sensible to check without it
        return self._remove(index, parent_path)


# --------------------------------------------------------------------------- validating a tree


def _related(a: Path_, b: Path_) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


__all__ = ["check_tree"]
