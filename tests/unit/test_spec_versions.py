"""validate refuses component versions mlplat cannot run, located at the version it names."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlplat.stacks import SpecError, load_spec, validate

from tests.unit.spec_text import at_value, edit, write


def only(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        validate(load_spec(path))
    diags = info.value.diagnostics
    assert len(diags) == 1, "\n".join(map(str, diags))
    return str(diags[0]).replace(str(path), "platform.yaml")


@pytest.mark.parametrize("version", ["2.16.2", "3.8.1", "4.0.0"])
def test_mlflow_version_without_a_full_image_is_refused(tmp_path, version):
    text = edit("  artifact_bucket: artifacts\n", f'  artifact_bucket: artifacts\n  version: "{version}"\n')
    msg = only(tmp_path, text)
    where = at_value(text, 'version: "' + version + '"')
    assert msg.startswith(f"platform.yaml:{where}: tracking.version: "), msg
    assert "3.9.0" in msg and "-full" in msg


def test_mlflow_version_must_be_a_full_release(tmp_path):
    text = edit("  artifact_bucket: artifacts\n", '  artifact_bucket: artifacts\n  version: "3.18"\n')
    msg = only(tmp_path, text)
    where = at_value(text, 'version: "3.18"')
    assert msg.startswith(f"platform.yaml:{where}: tracking.version: pin a full"), msg


def test_supported_mlflow_version_validates(tmp_path):
    text = edit("  artifact_bucket: artifacts\n", '  artifact_bucket: artifacts\n  version: "3.9.0"\n')
    validate(load_spec(write(tmp_path, text)))
