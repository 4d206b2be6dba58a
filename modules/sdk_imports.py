"""Provider SDK service packages, loaded one resource module at a time.

`pulumi_aws.ec2` is one package of ~600 generated modules, and its `__init__` imports every one
of them (plus its `_inputs`, `outputs` and `_enums`) when the first attribute is read; the same
holds for `pulumi_kubernetes.core.v1` and the other API-group packages. A plan uses a few dozen
resource classes, but reading `aws.ec2.Vpc` made Python import all of EC2, S3, CloudWatch, …:
about 1.4 s of a preview's 4 s of imports went to resource modules the plan never touched
(`python -X importtime`, pulumi-aws 7.29 / pulumi-kubernetes 4.30).

`install()` puts a finder on `sys.meta_path` that gives those service packages a lean body: the
package keeps its `__path__`, so `import pulumi_aws.ec2.vpc` works as always, but its `__init__`
does not run. Reading an attribute of the package (PEP 562 `__getattr__`) imports just what
holds it, by the SDK generator's naming rules: a submodule of that name, the resource module
`snake_case(Class)` (`Vpc` → `vpc`, `BucketV2` → `bucket_v2`; kubernetes keeps the class name:
`Deployment` → `Deployment`), `_inputs` for `…Args`/`…ArgsDict` types, `_enums`. Anything else
(a function, `dir()`, `from … import *`) runs the package's real `__init__` in place first,
so code that expects the whole package still sees it. Source code keeps writing `aws.ec2.Vpc`
and stays checked by mypy against the real packages; the resource classes are the same objects,
so plans are byte-identical.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

# Service packages of pulumi-aws (`pulumi_aws.ec2`) and API-group versions of pulumi-kubernetes
# (`pulumi_kubernetes.core.v1`, `….helm.v3`): generated packages whose `__init__` only re-exports.
_LEAN = re.compile(r"pulumi_aws\.(?!_)[a-z0-9_]+|pulumi_kubernetes\.(?!_)[a-z0-9_]+\.v[0-9][a-z0-9]*")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_COMPLETE = "__mlplat_complete__"


def snake(name: str) -> str:
    """The generator's module name of a class: `OpenIdConnectProvider` → `open_id_connect_provider`."""
    return _CAMEL.sub("_", name).lower()


def _has_module(module: ModuleType, name: str) -> bool:
    return any((Path(p) / f"{name}.py").is_file() or (Path(p) / name / "__init__.py").is_file()
               for p in getattr(module, "__path__", ()))


def _complete(module: ModuleType) -> None:
    """Run the package's real `__init__` in its namespace (once): the whole package, as without mlplat."""
    if module.__dict__.get(_COMPLETE):
        return
    module.__dict__[_COMPLETE] = True
    loader = module.__spec__.loader if module.__spec__ else None
    inner = getattr(loader, "inner", None)
    code = inner.get_code(module.__name__) if inner is not None else None
    if code is not None:
        exec(code, module.__dict__)  # noqa: S102 - the installed package's own __init__, as import would


def _lean_getattr(module: ModuleType) -> Any:
    def __getattr__(name: str) -> Any:  # PEP 562: the module's missing attributes
        if name.startswith("__") and name != "__all__":
            raise AttributeError(name)
        candidates: list[str] = []
        if name != "__all__" and not module.__dict__.get(_COMPLETE):
            candidates = [name, snake(name)]
            if name.endswith(("Args", "ArgsDict")):
                candidates.append("_inputs")
            candidates.append("_enums")
        for sub in candidates:
            if _has_module(module, sub):
                loaded = importlib.import_module(f"{module.__name__}.{sub}")
                # As the real `__init__`'s `from .Deployment import *`: a class shadows its module.
                value = loaded.__dict__.get(name, loaded if sub == name else None)
                if value is not None:
                    module.__dict__[name] = value
                    return value
        _complete(module)
        if name in module.__dict__:
            return module.__dict__[name]
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    return __getattr__


class _LeanLoader(importlib.abc.Loader):
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__dict__["__getattr__"] = _lean_getattr(module)


class _LeanFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if not _LEAN.fullmatch(fullname):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.submodule_search_locations is None or spec.loader is None:
            return spec
        spec.loader = _LeanLoader(spec.loader)
        return spec


_FINDER = _LeanFinder()


def install() -> None:
    """Put the finder first on sys.meta_path (idempotent). Must run before the SDK's top-level
    package is imported: `pulumi_aws/__init__.py` creates its service packages then (lazily)."""
    if os.environ.get("MLPLAT_LEAN_SDK_IMPORTS", "1") == "0":
        return  # the SDK's own package imports, for measuring what this saves (bench/)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


__all__ = ["install", "snake"]
