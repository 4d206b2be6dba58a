"""The spec at a baseline: a file, or a Git revision read with `git show` (cost, check and diff all compare against one)."""


from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlplat.stacks.errors import MlplatError

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import SpecDocument



# --------------------------------------------------------------------------- baselines


def _git(args: list[str], cwd: Path) -> tuple[int, str, str]:
    import subprocess

    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise MlplatError("git is not installed: --compare-to a revision needs git (or give a spec FILE)") from None
    return proc.returncode, proc.stdout, proc.stderr.strip()


class SpecAbsentAtRevision(MlplatError):
    """The spec file does not exist at that revision (e.g. the pull request adds it)."""


def spec_at_revision(spec_path: str | Path, ref: str) -> SpecDocument:
    """The spec file as it was at git revision `ref`, read with `git show` (no checkout)."""
    from mlplat.stacks.platform_spec.resolve import SpecDocument
    from mlplat.stacks.platform_spec.tree import parse_yaml

    path = Path(spec_path).resolve()
    rc, top, _ = _git(["rev-parse", "--show-toplevel"], path.parent)
    if rc != 0:
        raise MlplatError(f"{spec_path} is not inside a git repository, so --compare-to {ref!r} cannot be read "
                          "(give a spec FILE instead)")  # fmt: skip
    root = Path(top.strip()).resolve()
    rel = path.relative_to(root).as_posix()
    rc, _, _ = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if rc != 0:
        raise MlplatError(f"--compare-to: {ref!r} is neither a spec file nor a git revision of {root}")
    rc, text, _ = _git(["show", f"{ref}:{rel}"], root)
    if rc != 0:
        raise SpecAbsentAtRevision(f"--compare-to: {rel} does not exist at revision {ref!r}")
    display = f"{ref}:{rel}"
    return SpecDocument(Path(display), parse_yaml(text, display))


def baseline_document(spec_path: str | Path, compare_to: str) -> tuple[SpecDocument, str]:
    """The baseline spec and its label: `compare_to` is a spec FILE when one exists at that path,
    else a git revision of `spec_path` (SpecAbsentAtRevision when the spec is not there)."""
    from mlplat.stacks.platform_spec.resolve import load_spec

    if Path(compare_to).is_file():
        return load_spec(compare_to), str(compare_to)
    return spec_at_revision(spec_path, compare_to), compare_to


__all__ = ["SpecAbsentAtRevision", "baseline_document", "spec_at_revision"]
