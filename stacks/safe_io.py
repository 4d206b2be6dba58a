"""Writing generated files safely: a whole folder at once, never through a symlink.

`render`, `policy export-pack` and `init` write folders of generated files. Writing them one
by one in place had two faults: a symlink planted in the target (`manifests -> /etc`) was
followed out of the folder, and two runs into one new folder interleaved their files. Here a
folder is built in a fresh temporary sibling and renamed into place (one atomic step), and an
existing folder is only replaced when it carries the marker of an earlier mlplat output, so
`--force` can never wipe a folder the user made.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from mlplat.stacks.errors import MlplatError, printable

MARKER = ".mlplat-generated"  # present in every folder mlplat writes whole; --force replaces only those


def _show(path: Path | str) -> str:
    return printable(str(path))


def relative_parts(rel: str) -> tuple[str, ...]:
    """The parts of a relative path that stays inside its root (no '..', not absolute)."""
    p = PurePosixPath(rel)
    if p.is_absolute() or not p.parts or any(part in ("..", "", ".") for part in p.parts):
        raise MlplatError(f"refusing to write {_show(rel)!r}: not a plain relative path")
    return p.parts


def no_symlink_below(root: Path, rel: str) -> None:
    """Refuse when `root` or any existing component of `root/rel` is a symlink."""
    path = root
    if path.is_symlink():
        raise MlplatError(f"{_show(root)} is a symlink; give the real directory (mlplat never writes through links)")
    for part in relative_parts(rel):
        path = path / part
        if path.is_symlink():
            raise MlplatError(f"{_show(path)} is a symlink; mlplat never writes through links")


def _fill(folder: Path, files: Mapping[str, str | bytes], modes: Mapping[str, int] | None = None) -> None:
    for rel, content in files.items():
        target = folder.joinpath(*relative_parts(rel))
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        # O_EXCL | O_NOFOLLOW: a fresh folder has nothing to follow, and nothing may appear.
        mode = (modes or {}).get(rel, 0o644)  # .env of credentials: 0600 from the first byte
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)


def write_tree(
    root: str | Path,
    files: Mapping[str, str | bytes],
    *,
    force: bool = False,
    marker: bool = True,
    modes: Mapping[str, int] | None = None,
) -> list[Path]:
    """Write `files` ({relative path: content}) as the folder `root`, all or nothing.

    A missing or empty `root` is created from a temporary sibling by one rename; a non-empty
    one is replaced only with `force` and only if it holds MARKER (an earlier mlplat output).
    Returns the paths written (MARKER not included).
    """
    root = Path(root)
    if root.is_symlink():
        raise MlplatError(f"{_show(root)} is a symlink; give the real directory (mlplat never writes through links)")
    if root.exists() and not root.is_dir():
        raise MlplatError(f"{_show(root)} exists and is not a directory")
    non_empty = root.is_dir() and any(root.iterdir())
    if non_empty and not force:
        raise MlplatError(f"{_show(root)} is not empty; choose a new directory or pass --force")
    if non_empty and not (root / MARKER).is_file():
        raise MlplatError(
            f"{_show(root)} is not empty and is not an earlier mlplat output (no {MARKER} in it); "
            "--force only replaces folders mlplat wrote. Choose a new directory"
        )
    parent = root.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise MlplatError(f"cannot write {_show(root)}: {exc.strerror or exc}") from None
    try:
        mark = {MARKER: "written by mlplat; `--force` may replace this folder as a whole\n"} if marker else {}
        _fill(tmp, {**files, **mark}, modes)
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700
        if non_empty:
            old = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".old", dir=parent))
            os.rename(root, old / "previous")
            os.rename(tmp, root)
            shutil.rmtree(old, ignore_errors=True)
        else:
            # rename() replaces an empty directory and fails on a non-empty one: a second run
            # racing into the same new folder gets an error, never a mix of two outputs.
            os.rename(tmp, root)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise MlplatError(f"{_show(root)} was written by another process meanwhile; nothing written") from None
        raise MlplatError(f"cannot write {_show(exc.filename or root)}: {exc.strerror or exc}") from None
    return [root.joinpath(*relative_parts(rel)) for rel in files]


def create_files(root: str | Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Add new files to an existing folder (a repository `init` joins): none may exist yet, no
    path component may be a symlink, and nothing is written unless all of them can be.
    A missing or empty folder is written whole (write_tree) instead."""
    root = Path(root)
    if not root.is_symlink() and (not root.exists() or (root.is_dir() and not any(root.iterdir()))):
        return write_tree(root, files, marker=False)
    for rel in files:
        no_symlink_below(root, rel)
    existing = sorted(rel for rel in files if root.joinpath(*relative_parts(rel)).exists())
    if existing:
        raise MlplatError(
            f"refusing to overwrite existing files in {_show(root)}: {', '.join(existing)} "
            "(move them away or choose another directory)"
        )
    try:
        _fill(root, files)
    except FileExistsError as exc:
        raise MlplatError(f"refusing to overwrite {_show(exc.filename)}, which appeared while writing") from None
    except OSError as exc:
        raise MlplatError(f"cannot write {_show(exc.filename or root)}: {exc.strerror or exc}") from None
    return [root.joinpath(*relative_parts(rel)) for rel in files]


def write_file(path: str | Path, text: str) -> Path:
    """Write one output file (`-o FILE`): via a temporary sibling and a rename, so a reader
    never sees half a file; a symlink at `path` is replaced, never written through."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except IsADirectoryError:
        raise MlplatError(f"cannot write {_show(path)}: it is a directory") from None
    except OSError as exc:
        raise MlplatError(f"cannot write {_show(path)}: {exc.strerror or exc}") from None
    return path


__all__ = ["MARKER", "create_files", "no_symlink_below", "relative_parts", "write_file", "write_tree"]
