"""`mlplat render`: a standalone Pulumi project plus the plan's Kubernetes manifests."""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

from mlplat.stacks.errors import MlplatError
from mlplat.stacks.plan.model import Plan, PlanResource
from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

# Objects not written as manifests: Helm releases and providers are Pulumi constructs.
_NOT_MANIFESTS = ("kubernetes:helm.sh/", "pulumi:providers:")
_PINNED = ("pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-random")


def _env():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("mlplat.templates", "render"), undefined=StrictUndefined, keep_trailing_newline=True
    )


def integral(value: Any) -> Any:
    """Plan numbers are floats (protobuf Struct); Kubernetes wants integers where they are whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


def manifest_of(res: PlanResource) -> dict[str, Any]:
    """The object as a manifest. A Secret whose data is secret or unknown as a whole (pulumi-
    kubernetes marks all of stringData secret) is written empty, with a note where it comes from."""
    doc = integral(res.inputs)
    if doc.get("kind") == "Secret":
        for key in ("data", "stringData"):
            if isinstance(doc.get(key), str):
                doc[key] = {}
                meta = doc.setdefault("metadata", {})
                meta.setdefault("annotations", {})["mlplat.io/values"] = "set by `pulumi up`; never rendered"
    return doc


def kubernetes_objects(plan: Plan) -> list[PlanResource]:
    return [
        r for r in plan.custom_resources()
        if r.is_kubernetes and not r.type.startswith(_NOT_MANIFESTS) and "kind" in r.inputs
    ]  # fmt: skip


def manifest_path(res: PlanResource) -> str:
    comp = (res.component or "platform").replace("_", "-")
    return f"manifests/{comp}/{res.inputs['kind'].lower()}-{res.name}.yaml"


def render(resolved: ResolvedPlatform, plan: Plan, out: str | Path, *, force: bool = False,
           mlplat_requirement: str | None = None) -> list[Path]:
    """Write the project; refuses a non-empty directory unless `force`.

    `mlplat_requirement` is requirements.txt's mlplat line (default `mlplat==<this version>`)."""
    import yaml
    from mlplat import __version__

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise MlplatError(f"{out} is not empty; choose a new directory or pass --force")
    out.mkdir(parents=True, exist_ok=True)
    if resolved.provider == "compose":
        return render_compose(resolved, out)
    spec_name = "platform.yaml"
    objects = kubernetes_objects(plan)
    target = resolved.spec.target
    ctx = {
        "version": __version__,
        "platform": resolved.name,
        "env": resolved.environment,
        "profile": resolved.profile.name,
        "spec_name": spec_name,
        "region": getattr(target, "region", None),
        "kube_context": getattr(target, "context", None),
        "packages": [(p, _installed(p)) for p in _PINNED if _installed(p)],
        "manifest_count": len(objects),
        "mlplat_requirement": mlplat_requirement or f"mlplat=={__version__}",
    }
    env = _env()
    written: list[Path] = []
    files = {
        "Pulumi.yaml": "Pulumi.yaml.j2",
        f"Pulumi.{resolved.environment}.yaml": "Pulumi.env.yaml.j2",
        "__main__.py": "__main__.py.j2",
        "requirements.txt": "requirements.txt.j2",
        "README.md": "README.md.j2",
    }
    for name, tpl in files.items():
        path = out / name
        path.write_text(env.get_template(tpl).render(**ctx), encoding="utf-8")
        written.append(path)
    shutil.copyfile(resolved.source, out / spec_name)
    written.append(out / spec_name)
    for res in objects:
        path = out / manifest_path(res)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(manifest_of(res), sort_keys=False), encoding="utf-8")
        written.append(path)
    return written


COMPOSE_README = """# Local platform (docker compose)

    docker compose up -d        # or: docker-compose up -d
    docker compose ps           # every service reports healthy

Services listen on 127.0.0.1 only. Credentials are in .env (random, generated once by
`mlplat render`, never committed: .gitignore lists it). Re-rendering keeps them.
"""


def _read_env(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() and not key.lstrip().startswith("#"):
                out[key.strip()] = value.strip()
    return out


def render_compose(resolved: ResolvedPlatform, out: Path) -> list[Path]:
    """docker-compose.yml, its config files, a .env of random credentials and a .gitignore for it."""
    import os

    import yaml
    from mlplat.stacks.plan.compose import ENV_KEYS, compose_project, random_env

    project = compose_project(resolved)
    written: list[Path] = []

    def write(rel: str, text: str, mode: int | None = None) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if mode is not None:
            os.chmod(path, mode)
        written.append(path)

    write("docker-compose.yml", yaml.safe_dump(project.document(), sort_keys=False))
    for rel, doc in project.files.items():
        write(rel, yaml.safe_dump(doc, sort_keys=False))
    env = random_env(_read_env(out / ".env"))
    lines = [f"COMPOSE_PROJECT_NAME={project.name}"] + [f"# {ENV_KEYS[k]}\n{k}={env[k]}" for k in ENV_KEYS]
    write(".env", "\n".join(lines) + "\n", 0o600)
    ignore = out / ".gitignore"
    existing = ignore.read_text(encoding="utf-8").splitlines() if ignore.is_file() else []
    if ".env" not in existing:
        write(".gitignore", "\n".join([*existing, ".env"]) + "\n")
    write("README.md", COMPOSE_README)
    return written


def _installed(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


__all__ = ["integral", "kubernetes_objects", "manifest_of", "manifest_path", "render", "render_compose"]
