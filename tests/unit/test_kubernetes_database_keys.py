"""On a kubernetes target the RDS knobs of tracking.database are refused, never silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlplat.stacks import SpecError, load_spec, validate

from tests.unit.spec_text import at

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: lab}
target: {provider: kubernetes}
storage: {buckets: [{name: artifacts, purpose: artifacts}]}
tracking:
  database:
    storage_gb: 20
DB
"""


def errors(tmp_path: Path, extra: str) -> list[str]:
    text = SPEC.replace("DB\n", extra)
    path = tmp_path / "platform.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        validate(load_spec(path))
    return [str(d).replace(str(path), "platform.yaml") for d in info.value.diagnostics]


@pytest.mark.parametrize("key,value", [("multi_az", "true"), ("backup_retention_days", "14"),
                                       ("instance_class", "db.r6g.large"), ("deletion_protection", "true")])
def test_rds_keys_are_refused_where_written(tmp_path: Path, key: str, value: str) -> None:
    line = f"    {key}: {value}\n"
    msgs = errors(tmp_path, line)
    text = SPEC.replace("DB\n", line)
    assert len(msgs) == 1, msgs
    assert msgs[0].startswith(f"platform.yaml:{at(text, value)}: tracking.database.{key}: {key} configures RDS")


def test_profiles_do_not_put_rds_keys_on_a_kubernetes_target(tmp_path: Path) -> None:
    """prod's profile sets multi_az and 14 days of backups: on aws only, not on the in-cluster database."""
    path = tmp_path / "platform.yaml"
    path.write_text(SPEC.replace("DB\n", ""))
    resolved = validate(load_spec(path))
    db = resolved["prod"].spec.tracking.database  # type: ignore[union-attr]
    assert "multi_az" not in db.model_fields_set and "backup_retention_days" not in db.model_fields_set
