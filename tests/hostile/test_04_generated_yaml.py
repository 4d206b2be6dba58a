"""Item 4: generated YAML goes through an emitter; shell lines quote every value."""

from __future__ import annotations

import shlex

import yaml

from tests.hostile.helpers import MINIMAL_K8S, run, write

CONTEXT = 'target: {provider: kubernetes, context: "kind-x\\n  mlplat:environment: prod\\n  aws:region: evil"}'


def test_context_with_newline_stays_one_value_in_stack_config(tmp_path):
    spec = write(tmp_path, MINIMAL_K8S.replace("target: {provider: kubernetes}", CONTEXT))
    res = run("render", str(spec), "--env", "dev", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    config = yaml.safe_load((tmp_path / "out" / "Pulumi.dev.yaml").read_text())["config"]
    # Exactly the keys mlplat writes; the context is one string, newline and all.
    assert set(config) == {"mlplat:environment", "mlplat:spec", "kubernetes:context"}
    assert config["mlplat:environment"] == "dev"
    assert config["kubernetes:context"] == "kind-x\n  mlplat:environment: prod\n  aws:region: evil"


def test_stack_config_and_project_are_emitted_not_templated():
    from mlplat.stacks.plan.render import pulumi_project, stack_config

    text = stack_config("dev", "dev", "platform.yaml", None, "a: b\nc: d")
    assert yaml.safe_load(text)["config"]["kubernetes:context"] == "a: b\nc: d"
    assert yaml.safe_load(pulumi_project("churn", "platform.yaml", "1.0"))["name"] == "churn"


def test_minio_bucket_script_quotes_every_value():
    from mlplat.modules.data_services import minio_bucket_script

    script = minio_bucket_script("mlplat", [("x;id;#", True, 7)])
    # Parsed as the shell would: the hostile name stays inside one word, no `id` command.
    words = [shlex.split(line) for line in script.splitlines() if line.startswith("mc mb")]
    assert words == [["mc", "mb", "--ignore-existing", "mlplat/x;id;#"]]
