"""`mlplat init` as a library: what is written, the no-overwrite rule, the CI hook."""

from __future__ import annotations

import json

import pytest
from mlplat.stacks import MlplatError, load_spec, validate
from mlplat.stacks.repo import scaffold as scaffold_mod
from mlplat.stacks.repo.scaffold import platform_name, scaffold


@pytest.mark.parametrize("provider", ["aws", "kubernetes"])
def test_scaffolded_spec_validates_in_every_environment(tmp_path, provider):
    created = scaffold(tmp_path / "repo", provider=provider, ci_provider="none")
    assert sorted(p.name for p in created) == [
        ".gitignore",
        "README.md",
        "platform.schema.json",
        "platform.yaml",
    ]
    resolved = validate(load_spec(tmp_path / "repo" / "platform.yaml"))
    assert list(resolved) == ["dev", "staging", "prod"]
    assert {r.spec.target.provider for r in resolved.values()} == {provider}
    # The spec leaves safety to the profiles: dev disposable, prod multi-AZ and protected (aws:
    # RDS; on kubernetes those RDS keys are refused, so the profiles do not set them there).
    if provider == "aws":
        assert resolved["dev"].spec.tracking.database.multi_az is False
        assert resolved["prod"].spec.tracking.database.deletion_protection is True
    else:
        assert "deletion_protection" not in resolved["prod"].spec.tracking.database.model_fields_set


def test_the_spec_is_commented_and_points_editors_at_its_schema(tmp_path):
    scaffold(tmp_path, name="acme")
    text = (tmp_path / "platform.yaml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=./platform.schema.json"
    assert sum(1 for line in text.splitlines() if line.lstrip().startswith("#")) >= 15
    assert "name: acme" in text
    schema = json.loads((tmp_path / "platform.schema.json").read_text())
    assert schema["$schema"].startswith("http://json-schema.org/draft-07")


def test_refuses_to_overwrite_and_writes_nothing(tmp_path):
    (tmp_path / "platform.yaml").write_text("mine: true\n")
    with pytest.raises(MlplatError, match=r"refusing to overwrite existing files .*platform\.yaml"):
        scaffold(tmp_path)
    assert (tmp_path / "platform.yaml").read_text() == "mine: true\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["platform.yaml"]


def test_refuses_a_file_as_directory(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(MlplatError, match="not a directory"):
        scaffold(target)


@pytest.mark.parametrize("name", ["Acme", "acme_ml", "1acme", "a" * 21, "acme-"])
def test_rejects_invalid_names(tmp_path, name):
    with pytest.raises(MlplatError, match="not a valid platform name"):
        scaffold(tmp_path, name=name)


@pytest.mark.parametrize(
    ("directory", "name"),
    [("ml-platform", "ml-platform"), ("My Platform_v2", "my-platform-v2"), ("42", "platform"),
     ("a-really-long-directory-name-indeed", "a-really-long-direct")],
)  # fmt: skip
def test_platform_name_from_directory(tmp_path, directory, name):
    assert platform_name(tmp_path / directory) == name


def test_ci_provider_is_recorded(tmp_path):
    scaffold(tmp_path / "g", ci_provider="gitlab")
    assert "mlplat ci init --provider gitlab" in (tmp_path / "g" / "README.md").read_text()
    assert (tmp_path / "g" / ".gitlab-ci.yml").is_file()  # through the ci_files hook
    scaffold(tmp_path / "n", ci_provider="none")
    assert "No CI provider was chosen" in (tmp_path / "n" / "README.md").read_text()
    with pytest.raises(MlplatError, match="unknown CI provider"):
        scaffold(tmp_path / "x", ci_provider="jenkins")


def test_ci_files_hook_is_written_under_the_same_rules(tmp_path, monkeypatch):
    monkeypatch.setattr(
        scaffold_mod, "ci_files", lambda ctx, *_: {f".github/workflows/{ctx.name}.yml": f"# {ctx.ci_provider}\n"}
    )
    created = scaffold(tmp_path / "repo", name="acme")
    workflow = tmp_path / "repo" / ".github" / "workflows" / "acme.yml"
    assert workflow in created and workflow.read_text() == "# github\n"
    (tmp_path / "other" / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / "other" / ".github" / "workflows" / "acme.yml").write_text("keep\n")
    with pytest.raises(MlplatError, match="acme.yml"):
        scaffold(tmp_path / "other", name="acme")
