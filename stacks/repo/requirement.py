"""Which mlplat the generated CI (`ci init`, `init`) and rendered projects (`render`) install.

`--mlplat-requirement` takes a version (`0.2.0` → `mlplat==0.2.0`), a pip requirement
(`mlplat>=0.2,<0.3`), a Git URL pinned to a tag or commit (`git+https://host/org/mlplat@v0.2.0`
→ `mlplat @ git+…@v0.2.0`), a path inside the repository (`./tools/mlplat`, installed as is) or
a wheel/sdist file (copied into the repository under `.mlplat/wheels/` and installed from there).

The default installs the very mlplat that generated the files, from where it came from:
- installed from a package index → `mlplat==<version>` (that release exists: it was installed);
- installed from a Git URL → that URL at the commit pip recorded (PEP 610 `direct_url.json`);
- installed from a local checkout or file (a development install, or no release exists yet) →
  a wheel of it is built (`pip wheel --no-deps`) and vendored into the repository, like a build
  tool's wrapper jar: CI installs the same code, offline from any mlplat index, until a release
  is pinned instead. A URL from `[project.urls]` would not do: it names the project's home, not
  the code that generated the workflow, and may not be reachable from CI.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mlplat import __version__
from mlplat.stacks.errors import MlplatError

PACKAGE = "mlplat"
VENDOR_DIR = ".mlplat/wheels"

_VERSION = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")
_GIT = re.compile(r"git\+(https|ssh)://[A-Za-z0-9._~:/%+\-@]+@[A-Za-z0-9._/\-]+")
_SPECIFIER = re.compile(r"mlplat\s*(\[[a-z,\s-]+\])?\s*((==|>=|<=|~=|!=|<|>)\s*[0-9][0-9A-Za-z.*+!-]*\s*,?\s*)+")
_REL_PATH = re.compile(r"\./[A-Za-z0-9._/\-]+")


@dataclass(frozen=True)
class MlplatRequirement:
    pip_arg: str  # what follows `pip install` (and a line of requirements.txt)
    kind: str  # index | vcs | path | vendored
    source: Path | None = None  # vendored: the wheel/sdist to copy to pip_arg (relative to the repository)
    note: str = ""
    build_from: Path | None = None  # vendored: the source tree to build the wheel from (at materialise)

    @property
    def install_command(self) -> str:
        """The shell line CI runs (quoted: the requirement is one argument)."""
        return f"python -m pip install {shlex.quote(self.pip_arg)}"

    @property
    def vendored_name(self) -> str | None:
        return PurePosixPath(self.pip_arg).name if self.kind == "vendored" else None

    def materialise(self, root: str | Path) -> list[Path]:
        """Put a vendored wheel into the repository (copied, or built from the source tree); the
        paths written (none for the other kinds)."""
        if self.kind != "vendored":
            return []
        source = self.source if self.source is not None else _built_wheel(self.build_from)
        dest = Path(root) / self.pip_arg
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not (dest.exists() and dest.read_bytes() == source.read_bytes()):
            shutil.copyfile(source, dest)
        return [dest]

    def relocated(self, directory: str) -> MlplatRequirement:
        """The same vendored file under another folder (a rendered project keeps it in `wheels/`)."""
        if self.kind != "vendored":
            return self
        return MlplatRequirement(f"./{directory}/{self.vendored_name}", self.kind, self.source, self.note,
                                 self.build_from)  # fmt: skip


def parse_requirement(value: str) -> MlplatRequirement:
    """`--mlplat-requirement`: a version, a pip requirement, a Git URL with a tag, a path or a wheel."""
    text = value.strip()
    if _VERSION.fullmatch(text):
        return MlplatRequirement(f"{PACKAGE}=={text}", "index")
    if _SPECIFIER.fullmatch(text):
        return MlplatRequirement(text, "index")
    if text.startswith("git+"):
        if not _GIT.fullmatch(text):
            raise MlplatError(f"--mlplat-requirement {value!r}: a Git URL must be git+https:// or git+ssh:// and pin a "
                              "tag or commit with @REF (e.g. git+https://github.com/org/mlplat@v0.2.0)")  # fmt: skip
        return MlplatRequirement(f"{PACKAGE} @ {text}", "vcs")
    path = Path(text)
    if path.is_file() and (path.name.endswith(".whl") or path.name.endswith(".tar.gz")):
        if not re.fullmatch(r"mlplat-[A-Za-z0-9._+-]+\.(whl|tar\.gz)", path.name):
            raise MlplatError(f"--mlplat-requirement {value!r}: not an mlplat wheel or sdist (mlplat-VERSION-….whl)")
        return _vendored(path, f"vendored {path.name}")
    if _REL_PATH.fullmatch(text) and ".." not in PurePosixPath(text).parts:
        return MlplatRequirement(text, "path")  # a checkout inside the repository (e.g. a submodule)
    raise MlplatError(
        f"--mlplat-requirement {value!r}: expected a version (0.2.0), a requirement (mlplat>=0.2), a Git URL with a "
        "tag (git+https://…/mlplat@v0.2.0), a ./path inside the repository, or an mlplat wheel file"
    )


def _vendored(file: Path, note: str) -> MlplatRequirement:
    return MlplatRequirement(f"./{VENDOR_DIR}/{file.name}", "vendored", file.resolve(), note)


def default_requirement() -> MlplatRequirement:
    """The mlplat that is running, as CI can install it (see the module docstring)."""
    from importlib import metadata

    # Several records may describe mlplat (a checkout's egg-info on sys.path beside the installed
    # dist-info): the installer's PEP 610 record says where the code came from; a RECORD without
    # one is an install from an index.
    dists = list(metadata.distributions(name=PACKAGE))
    for dist in dists:
        raw = dist.read_text("direct_url.json")
        if raw:
            return _from_direct_url(json.loads(raw))
    for dist in dists:
        if dist.read_text("RECORD"):
            return MlplatRequirement(f"{PACKAGE}=={dist.version}", "index")
    return _to_build(Path(__file__).resolve().parents[2])  # running from a source tree


def _from_direct_url(info: dict[str, Any]) -> MlplatRequirement:
    url = str(info.get("url", ""))
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id"):
        return MlplatRequirement(f"{PACKAGE} @ git+{url}@{vcs['commit_id']}", "vcs")
    if url.startswith("file://"):
        from urllib.parse import unquote, urlparse

        local = Path(unquote(urlparse(url).path))
        if local.is_file():  # installed from a wheel or sdist file
            return _vendored(local, f"vendored {local.name} (the file this mlplat was installed from)")
        if local.is_dir():
            return _to_build(local)
    raise MlplatError(f"cannot tell how to install this mlplat in CI (installed from {url or 'an unknown source'}); "
                      "pass --mlplat-requirement VERSION|GIT_URL@TAG|PATH")  # fmt: skip


def _to_build(source: Path) -> MlplatRequirement:
    # mlplat is pure Python: its wheel is named before it is built, so files can refer to it first
    name = f"{PACKAGE}-{__version__}-py3-none-any.whl"
    return MlplatRequirement(f"./{VENDOR_DIR}/{name}", "vendored",
                             note=f"vendored a wheel built from {source} (no mlplat release pinned)",
                             build_from=source)  # fmt: skip


_BUILT: dict[Path, Path] = {}


def _built_wheel(source: Path | None) -> Path:
    """`pip wheel --no-deps` of a source tree, once per process (without build isolation when
    the build backend is installed here: then no package index is needed)."""
    import subprocess
    import sys
    import tempfile

    if source is None or not (source / "pyproject.toml").is_file():
        raise MlplatError(f"{source} is not an mlplat source tree; pass --mlplat-requirement")
    if source in _BUILT and _BUILT[source].is_file():
        return _BUILT[source]
    out = Path(tempfile.mkdtemp(prefix="mlplat-wheel-"))
    args = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)]
    if _build_backend_here():
        args.insert(4, "--no-build-isolation")
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    wheel = out / f"{PACKAGE}-{__version__}-py3-none-any.whl"
    if proc.returncode != 0 or not wheel.is_file():
        raise MlplatError(f"building a wheel of {source} failed: {proc.stderr.strip()[-500:]}")
    _BUILT[source] = wheel
    return wheel


def _build_backend_here() -> bool:
    """setuptools >= 68 (pyproject's build-system) and wheel importable in this interpreter."""
    from importlib import metadata

    try:
        major = int(metadata.version("setuptools").split(".")[0])
        metadata.version("wheel")
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return major >= 68


__all__ = ["PACKAGE", "VENDOR_DIR", "MlplatRequirement", "default_requirement", "parse_requirement"]
