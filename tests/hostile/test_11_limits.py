"""Item 11: a 4.4 MB file of comments validates fast; list lengths have documented limits
that validate enforces at once instead of planning for a minute."""

from __future__ import annotations

import time

import pytest

from tests.conftest import EXAMPLES
from tests.hostile.helpers import run, write

REFERENCE = (EXAMPLES / "platform.yaml").read_text()
COMMENTS = ("# " + "x" * 78 + "\n") * 55_000  # 4.4 MB: the size that took 111 s


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_megabytes_of_comments_validate_fast(tmp_path, where):
    lines = REFERENCE.splitlines(True)
    text = {
        "start": COMMENTS + REFERENCE,
        "middle": "".join(lines[:20]) + COMMENTS + "".join(lines[20:]),  # after a scalar: the quadratic case
        "end": REFERENCE + COMMENTS,
    }[where]
    assert len(text) > 4_400_000
    from mlplat.stacks import load_spec, validate

    spec = write(tmp_path, text)
    t0 = time.process_time()  # CPU time: the machine may be shared
    resolved = validate(load_spec(spec))
    took = time.process_time() - t0
    assert set(resolved) == {"dev", "staging", "prod"}
    assert took < 5, f"{took:.1f} s of CPU"  # was 111 s; ~0.3 s now


def test_comment_lines_inside_block_scalars_are_kept(tmp_path):
    """Stripping comments must not change a `|` block whose lines start with `#`."""
    from mlplat.stacks.platform_spec.tree import parse_yaml

    text = "a: |\n  # kept: this is text\n  more\n" + "# dropped\n" * 2000 + 'b: "x\n  # in a quoted scalar"\n'
    root = parse_yaml(text, "t.yaml").plain()
    assert root == {"a": "# kept: this is text\nmore\n", "b": "x # in a quoted scalar"}


def test_lines_and_columns_survive_stripping(tmp_path):
    text = REFERENCE.replace("min_size: 2\n", 'min_size: "2"\n', 1)
    spec = write(tmp_path, ("# c\n" * 3000) + text)
    res = run("validate", str(spec))
    line = 3000 + text.splitlines().index('      min_size: "2"') + 1
    assert f"{spec}:{line}:17: cluster.node_pools[0].min_size" in res.stderr, res.stderr


@pytest.mark.parametrize(
    "section, item, limit",
    [
        ("  buckets:\n", "    - {{name: b{i}, purpose: general}}\n", 100),
        ("  node_pools:\n", "    - {{name: p{i}, instance_type: m6i.large}}\n", 30),
    ],
)
def test_list_limits_are_refused_fast(tmp_path, section, item, limit):
    extra = "".join(item.format(i=i) for i in range(1000))
    spec = write(tmp_path, REFERENCE.replace(section, section + extra, 1))
    t0 = time.perf_counter()
    res = run("preview", str(spec), "--env", "prod")
    assert res.exit_code == 2, res.output
    assert f"entries; the input limit is {limit}" in res.stderr
    assert time.perf_counter() - t0 < 30  # refused by validate (~1 s); planning 1,000 buckets took 44 s


def test_a_spec_at_the_bucket_limit_previews(tmp_path):
    extra = "".join(f"    - {{name: b{i}, purpose: general}}\n" for i in range(96))  # + 4 = 100
    spec = write(tmp_path, REFERENCE.replace("  buckets:\n", "  buckets:\n" + extra, 1))
    res = run("preview", str(spec), "--env", "dev", "--format", "json")
    assert res.exit_code == 0, res.output
