"""Reading PromQL with a real parser (promql-parser, the Rust `promql-parser` crate's binding)."""

from __future__ import annotations

from typing import Any

import promql_parser

# PromQL's arithmetic operators (promql_parser prints a BinaryExpr's op as its symbol).
ARITHMETIC = {"+", "-", "*", "/", "%", "^"}


def parse(expr: str) -> Any:
    """The AST of `expr`; ValueError (the parser's message) when it does not parse."""
    return promql_parser.parse(expr)


def nodes(expr: str) -> list[Any]:
    out: list[Any] = []
    promql_parser.walk(parse(expr), pre_visit=lambda n: out.append(n))
    return out


def calls(expr: str, name: str) -> list[Any]:
    return [n for n in nodes(expr) if isinstance(n, promql_parser.Call) and n.func.name == name]


def metric_names(expr: str) -> set[str]:
    """Every metric a selector names (`foo{…}` or `{__name__="foo"}`)."""
    names: set[str] = set()
    for n in nodes(expr):
        if isinstance(n, promql_parser.VectorSelector):
            if n.name:
                names.add(n.name)
            names |= {m.value for m in n.matchers.matchers if m.name == "__name__"}
    return names


def is_arithmetic(node: Any) -> bool:
    return isinstance(node, promql_parser.BinaryExpr) and str(node.op) in ARITHMETIC
