"""The spec at a baseline: a file, or a Git revision read with `git show` (cost, check and diff all compare against one)."""


from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from mlplat.stacks.errors import MlplatError, printable

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import SpecDocument



# --------------------------------------------------------------------------- baselines


MAX_REF_CHARS = 256  # git refs are short; 100 kB of --compare-to once ended in exit 3
GIT_TIMEOUT = 60  # seconds for one git command (a huge or hung repository must not hang CI)
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./@{}~^:+-]*")


def _git(args: list[str], cwd: Path) -> tuple[int, str, str]:
    import subprocess

    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False,
                              timeout=GIT_TIMEOUT, stdin=subprocess.DEVNULL)  # fmt: skip
    except FileNotFoundError:
        raise MlplatError("git is not installed: --compare-to a revision needs git (or give a spec FILE)") from None
    except subprocess.TimeoutExpired:
        raise MlplatError(f"git {args[0]} took longer than {GIT_TIMEOUT} s; give --compare-to a spec FILE") from None
    except OSError as exc:
        raise MlplatError(f"cannot run git: {exc.strerror or exc}") from None
    return proc.returncode, proc.stdout, proc.stderr.strip()


def check_ref(ref: str) -> str:
    """A --compare-to value that is not an existing file must read as a git revision."""
    if len(ref) > MAX_REF_CHARS:
        raise MlplatError(f"--compare-to: {len(ref):,} characters is too long for a file or git revision "
                          f"(input limit {MAX_REF_CHARS})")  # fmt: skip
    if not _REF.fullmatch(ref) or ".." in ref.replace("...", ""):
        raise MlplatError(f"--compare-to: {printable(repr(ref))} is neither a spec file nor a git revision")
    return ref


class SpecAbsentAtRevision(MlplatError):
    """The spec file does not exist at that revision (e.g. the pull request adds it)."""


def spec_at_revision(spec_path: str | Path, ref: str) -> SpecDocument:
    """The spec file as it was at git revision `ref`, read with `git show` (no checkout)."""
    from mlplat.stacks.platform_spec.resolve import SpecDocument
    from mlplat.stacks.platform_spec.tree import parse_yaml

    check_ref(ref)  # never `-`-led (an option to git) nor control characters
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

    if len(compare_to) > MAX_REF_CHARS:
        check_ref(compare_to)
    try:
        is_file = Path(compare_to).is_file()
    except (OSError, ValueError):  # a name too long for the file system, or a NUL in it
        is_file = False
    if is_file:
        return load_spec(compare_to), str(compare_to)
    return spec_at_revision(spec_path, compare_to), compare_to


__all__ = ["SpecAbsentAtRevision", "baseline_document", "spec_at_revision"]
