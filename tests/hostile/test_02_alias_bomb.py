"""Item 2: a 600-byte YAML alias bomb exits 2 within a second instead of eating gigabytes."""

from __future__ import annotations

import time

from tests.hostile.helpers import MINIMAL_AWS, run, write

BOMB = MINIMAL_AWS + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)
BOMB = BOMB.replace("storage:", 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\nstorage:')


def test_alias_bomb_is_refused_fast_with_exit_2(tmp_path):
    assert len(BOMB.encode()) < 1000  # the point: a tiny file, 9**9 ≈ 387 million nodes expanded
    spec = write(tmp_path, BOMB)
    t0 = time.perf_counter()
    res = run("validate", str(spec))
    took = time.perf_counter() - t0
    assert res.exit_code == 2, res.output
    assert "input limit" in res.stderr
    assert took < 10, f"took {took:.1f}s"  # it took over 2 minutes and 2 GB before the caps


def test_deep_nesting_is_refused_with_exit_2(tmp_path):
    spec = write(tmp_path, MINIMAL_AWS + "x: " + "[" * 70 + "]" * 70 + "\n")
    res = run("validate", str(spec))
    assert res.exit_code == 2, res.output
    assert "levels deep (input limit)" in res.stderr


def test_a_few_aliases_still_work(tmp_path):
    # Anchors are legitimate YAML: a shared taint list used twice must keep validating.
    text = MINIMAL_AWS + (
        "cluster:\n  node_pools:\n"
        "    - {name: a, instance_type: m6i.large, taints: &t [{key: k, value: v}]}\n"
        "    - {name: b, instance_type: m6i.large, taints: *t}\n"
    )
    res = run("validate", str(write(tmp_path, text)))
    assert res.exit_code == 0, res.output
