"""The `.dvc/config` remote section for every bucket of purpose `dvc` (`mlplat outputs --dvc`).

Written with configparser (DVC's config is INI; its section names are `remote "<name>"`, which
configparser writes verbatim). Only locations go in: credentials never do. On aws, people use their
own AWS credentials and CI assumes the bucket's `ci` role; on kubernetes and compose targets the
MinIO keys come from the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) or
`.dvc/config.local`, which DVC keeps out of Git.
"""

from __future__ import annotations

import configparser
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

COMPOSE_MINIO = "http://127.0.0.1:9000"  # compose publishes MinIO's S3 port on the laptop only


def minio_endpoint(resolved: ResolvedPlatform) -> str | None:
    """The S3 endpoint of a non-aws target: MinIO in the storage namespace, or on the laptop."""
    if resolved.provider == "aws":
        return None
    if resolved.provider == "compose":
        return COMPOSE_MINIO
    from mlplat.modules.common import Context
    from mlplat.modules.data_services import MINIO_PORT
    from mlplat.modules.k8s import namespace_name, service_host

    # data_services.minio serves `minio` in the storage component's namespace
    return f"http://{service_host('minio', namespace_name(Context.from_resolved(resolved), 'storage'))}:{MINIO_PORT}"


def dvc_remotes(resolved: ResolvedPlatform, account_id: str | None = None) -> list[tuple[str, dict[str, str]]]:
    """(remote name, options) per dvc bucket, in spec order. On aws bucket names carry the
    account ID (DESIGN 4): `account_id` is required there (the CLI asks STS for it)."""
    spec = resolved.spec
    buckets = [b for b in (spec.storage.buckets if spec.storage else []) if b.purpose == "dvc"]
    endpoint = minio_endpoint(resolved)
    region = getattr(spec.target, "region", None)
    if buckets and resolved.provider == "aws" and account_id is None:
        from mlplat.stacks.errors import MlplatError

        raise MlplatError("on aws the bucket names end in the AWS account ID: pass --account-id, or run with the "
                          "environment's AWS credentials so it is read from STS")
    out = []
    for b in buckets:
        opts = {"url": f"s3://{resolved.bucket_name(b.name, account_id)}"}
        if endpoint is not None:
            opts["endpointurl"] = endpoint
        elif region:
            opts["region"] = region
        out.append((b.name, opts))
    return out


def dvc_config(resolved: ResolvedPlatform, account_id: str | None = None) -> str:
    """The INI text: one `remote "<bucket>"` section per dvc bucket; the first is the default remote."""
    remotes = dvc_remotes(resolved, account_id)
    if not remotes:
        from mlplat.stacks.errors import MlplatError

        raise MlplatError(f"{resolved.name}/{resolved.environment}: no bucket has purpose: dvc")
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]  # keep option names as written
    cp["core"] = {"remote": remotes[0][0]}
    for name, opts in remotes:
        cp[f'remote "{name}"'] = opts
    buf = io.StringIO()
    cp.write(buf)
    return buf.getvalue()


__all__ = ["dvc_config", "dvc_remotes", "minio_endpoint"]
