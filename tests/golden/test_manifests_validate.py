"""Every first-party Kubernetes object `render` writes validates strictly (kubernetes-validate)."""

from __future__ import annotations

import pytest
import yaml
from mlplat.stacks.plan.render import kubernetes_objects, manifest_of, render

from tests.plans import kubernetes_cases, reference

kubernetes_validate = pytest.importorskip("kubernetes_validate")
K8S_VERSION = "1.31.0"


@pytest.mark.parametrize("spec,env", kubernetes_cases())
def test_rendered_manifests_validate_strictly(spec, env, tmp_path):
    resolved, plan = reference(spec, env)
    written = render(resolved, plan, tmp_path / "out")
    manifests = [p for p in written if "manifests" in p.parts]
    assert len(manifests) == len(kubernetes_objects(plan)) > 10
    validated, custom = 0, 0
    for path in manifests:
        doc = yaml.safe_load(path.read_text())
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            validated += 1
        except kubernetes_validate.SchemaNotFoundError:
            # CRDs (InferenceService, ServiceMonitor, …): no schema ships; only core kinds may land here.
            assert "." in doc["apiVersion"].split("/")[0] and not doc["apiVersion"].startswith(
                ("apps/", "batch/", "networking.k8s.io/", "policy/", "autoscaling/", "rbac.authorization.k8s.io/")
            ), f"{path.name}: no schema for a core kind"
            custom += 1
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path.relative_to(tmp_path)}: {exc}")
    assert validated > custom


def test_render_writes_a_runnable_project(tmp_path):
    resolved, plan = reference("platform", "dev")
    out = tmp_path / "proj"
    render(resolved, plan, out)
    project = yaml.safe_load((out / "Pulumi.yaml").read_text())
    assert project["name"] == "churn" and project["runtime"]["name"] == "python"
    stack = yaml.safe_load((out / "Pulumi.dev.yaml").read_text())
    assert stack["config"]["mlplat:environment"] == "dev"
    assert stack["config"]["aws:region"] == "us-east-1"
    main = (out / "__main__.py").read_text()
    compile(main, "__main__.py", "exec")
    assert "build_platform" in main
    reqs = (out / "requirements.txt").read_text()
    assert "mlplat==" in reqs and "pulumi-aws==" in reqs
    assert (out / "platform.yaml").read_text() == resolved.source.read_text()
    # Nothing secret is written: generated credentials stay <secret>.
    text = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "mlplat-offline-generated-secret" not in text


def test_render_refuses_non_empty_dir(tmp_path):
    from mlplat.stacks.errors import MlplatError

    resolved, plan = reference("platform", "dev")
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(MlplatError, match="not empty"):
        render(resolved, plan, tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "x"


def test_manifest_numbers_are_integers():
    _, plan = reference("platform", "dev")
    dep = next(r for r in kubernetes_objects(plan) if r.inputs.get("kind") == "Deployment")
    m = manifest_of(dep)
    ports = [p for c in m["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])]
    assert ports  # the first Deployment (MLflow) serves on a port: the loop below checks something
    for port in ports:
        assert isinstance(port["containerPort"], int)
