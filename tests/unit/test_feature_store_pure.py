"""Pure helpers of modules/feature_store.py."""

from __future__ import annotations

import yaml
from mlplat.modules import feature_store as f
from mlplat.modules.common import Context


def test_project_name_is_a_feast_identifier():
    assert f.project_name(Context("churn-x", "prod", "aws", None, {}, False, False, False, 7)) == "churn_x_prod"


def test_redis_online_store_with_tls_and_password_reference():
    cfg = f.online_store_config("redis", "master.example", 6379.0, tls=True)
    assert cfg == {
        "type": "redis", "redis_type": "redis",
        "connection_string": "master.example:6379,password=${FEAST_REDIS_PASSWORD},ssl=true",
    }  # fmt: skip


def test_feature_store_yaml_has_sql_registry_and_no_secrets():
    online = f.online_store_config("postgres", "db", 5432, database="feast", sslmode="require")
    text = f.feature_store_yaml("churn_prod", online, "churn-prod-features")
    doc = yaml.safe_load(text)
    assert doc["registry"] == {"registry_type": "sql", "path": "${FEAST_REGISTRY_PATH}", "cache_ttl_seconds": 60}
    assert doc["online_store"]["password"] == "${FEAST_DB_PASSWORD}"
    assert "password: '${FEAST_DB_PASSWORD}'" in text  # survives Feast's text-level ${} expansion
    assert doc["offline_store"] == {"type": "file"}
    assert "s3://churn-prod-features/" in text


def test_replica_bounds_and_materialize():
    assert f.replica_bounds(2) == (2, 6)
    assert f.replica_bounds(1) == (1, 3)
    assert "materialize-incremental" in f.materialize_command()[-1]


def test_image_is_pinned_on_quay():
    import json
    from pathlib import Path

    # From 0.47.0 the release workflow pushes the feature server to quay.io/feastdev (publish_images.yml).
    evidence = json.loads((Path(__file__).resolve().parents[1] / "upstream/feast/feature-server-0.66.0.json").read_text())
    assert f.feast_image("0.66.0") == evidence["image"] == "quay.io/feastdev/feature-server:0.66.0"


def test_clone_and_apply_commands_are_argument_lists():
    from mlplat.stacks.platform_spec.model import GitSource

    git = GitSource(repo="https://github.com/acme/features.git", branch="release/1", subpath="repo")
    clone = f.clone_command(git)
    # The URL follows `--`, so a URL can never be read as a git option.
    assert clone == ["git", "clone", "--depth", "1", "--single-branch", "--branch", "release/1", "--",
                     "https://github.com/acme/features.git", "/repo/src"]  # fmt: skip
    assert f.apply_command(git) == [
        "feast", "--chdir", "/repo/src/repo", "--feature-store-yaml", "/feast/feature_store.yaml", "apply"
    ]  # fmt: skip
    assert f.apply_command(GitSource(repo="https://h/r.git"))[2] == "/repo/src"
