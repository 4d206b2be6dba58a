"""The shipped price files read the same through libyaml (the fast path) and ruamel (YAML 1.2)."""

from __future__ import annotations

from importlib import resources

import pytest
from mlplat.stacks.cost.catalogue import load_catalogue, parse_catalogue_text
from ruamel.yaml import YAML

FILES = sorted(p.name for p in resources.files("mlplat.stacks.cost.pricing").iterdir() if p.name.endswith(".yaml"))


def test_every_price_file_is_checked() -> None:
    assert "aws-us-east-1.yaml" in FILES and "kubernetes.yaml" in FILES and len(FILES) >= 6


@pytest.mark.parametrize("name", FILES)
def test_libyaml_and_ruamel_agree(name: str) -> None:
    text = (resources.files("mlplat.stacks.cost.pricing") / name).read_text(encoding="utf-8")
    fast = parse_catalogue_text(text)
    assert isinstance(fast, dict) and fast
    assert fast == YAML(typ="safe").load(text)
    # ==, and the same types: 1 and 1.0 or a date and its text compare unequal only by type.
    def types(v: object) -> object:
        if isinstance(v, dict):
            return {k: types(x) for k, x in v.items()}
        if isinstance(v, list):
            return [types(x) for x in v]
        return type(v).__name__

    assert types(fast) == types(YAML(typ="safe").load(text))


def test_catalogues_load_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlplat.stacks.cost import catalogue

    seen: list[str] = []
    real = catalogue.parse_catalogue_text

    def spy(text: str) -> object:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(catalogue, "parse_catalogue_text", spy)
    catalogue._load_file.cache_clear()
    try:
        cat = load_catalogue("aws", "us-east-1")
    finally:
        catalogue._load_file.cache_clear()
    assert seen, "the catalogue was not read through parse_catalogue_text"
    assert cat.region == "us-east-1"
