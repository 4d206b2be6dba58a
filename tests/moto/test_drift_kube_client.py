"""The real Kubernetes drift reader (`KubeClientReader`) against a real API surface (issue 21).

The official `kubernetes` Python client, loaded from a kubeconfig, talks HTTP to a server on
127.0.0.1 that answers like kube-apiserver: discovery documents recorded from a real API server
(kubernetes/kubernetes api/discovery, see tests/upstream/kubernetes-api/PROVENANCE.md), object
bodies and `Status` errors in the API's wire form (`kind: Status`, `reason`, `code`), a bearer
token checked on every request. Nothing here is built from a plan: the server's answers are
fixed, and the tests assert what the client asked for and what the reader made of the answers
(found, absent, refused, failed).
"""

from __future__ import annotations

import copy
import json
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from mlplat.stacks.drift.live_k8s import KubeClientReader, compare_objects
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.plan.model import Plan, PlanResource

pytest.importorskip("kubernetes")

DISCOVERY = Path(__file__).resolve().parents[1] / "upstream" / "kubernetes-api" / "discovery"
TOKEN = "recorded-token"
LABELS = {
    "app.kubernetes.io/managed-by": "mlplat",
    "mlplat.io/platform": "acme",
    "mlplat.io/environment": "dev",
}

# GET /version of a v1.31 API server (the version.Info fields kube-apiserver returns).
VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.4", "gitCommit": "a78aa47129b8539636eb86a9d00e31b2720fe06b",
           "gitTreeState": "clean", "buildDate": "2024-12-10T18:36:36Z", "goVersion": "go1.22.9",
           "compiler": "gc", "platform": "linux/amd64"}  # fmt: skip

DEPLOYMENT = {
    "kind": "Deployment",
    "apiVersion": "apps/v1",
    "metadata": {
        "name": "mlflow", "namespace": "mlplat-tracking", "uid": "5c0f4d0e-8a55-4c59-9d1b-7d3c2c4f0a11",
        "resourceVersion": "48213", "generation": 3, "creationTimestamp": "2026-11-30T09:12:44Z",
        "labels": LABELS, "annotations": {"deployment.kubernetes.io/revision": "3"},
    },
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "mlflow"}},
        "template": {
            "metadata": {"labels": {"app": "mlflow"}},
            "spec": {"containers": [{
                "name": "mlflow", "image": "ghcr.io/mlflow/mlflow:v2.19.0",
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
                "terminationMessagePath": "/dev/termination-log", "imagePullPolicy": "IfNotPresent",
            }], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"},
        },
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
    },
    "status": {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3},
}  # fmt: skip

STRAY = copy.deepcopy(DEPLOYMENT)
STRAY["metadata"].update(
    name="notebook-scratch", uid="0b6a2b57-8d8f-4f3e-a0a4-4b5d9c1e2f30", resourceVersion="48990"
)

PRIORITY_CLASS = {
    "kind": "PriorityClass", "apiVersion": "scheduling.k8s.io/v1", "value": 100000, "globalDefault": False,
    "preemptionPolicy": "PreemptLowerPriority",
    "metadata": {"name": "mlplat-serving", "uid": "f1d2c3b4-0000-4000-8000-000000000001", "resourceVersion": "77",
                 "creationTimestamp": "2026-11-30T09:10:00Z", "labels": LABELS},
}  # fmt: skip


def status(code: int, reason: str, message: str, **details: Any) -> dict[str, Any]:
    """A metav1.Status as kube-apiserver sends it with an error code."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": reason, "code": code}  # fmt: skip
    if details:
        body["details"] = details
    return body


def _discovery(name: str) -> dict[str, Any]:
    return json.loads((DISCOVERY / name).read_text(encoding="utf-8"))


def routes() -> dict[str, tuple[int, dict[str, Any]]]:
    """path (with query) → (HTTP status, body): the answers of the recorded cluster."""
    deployments = "/apis/apps/v1/namespaces/mlplat-tracking/deployments"
    return {
        "/version": (200, VERSION),
        "/api": (200, _discovery("api.json")),
        "/apis": (200, _discovery("apis.json")),
        "/apis/apps/v1": (200, _discovery("apis__apps__v1.json")),
        "/apis/scheduling.k8s.io/v1": (200, _discovery("apis__scheduling.k8s.io__v1.json")),
        f"{deployments}/mlflow": (200, DEPLOYMENT),
        f"{deployments}/feast": (
            404,
            status(
                404,
                "NotFound",
                'deployments.apps "feast" not found',
                name="feast",
                group="apps",
                kind="deployments",
            ),
        ),
        f"{deployments}/secret-sauce": (
            403,
            status(
                403,
                "Forbidden",
                'deployments.apps "secret-sauce" is forbidden: User "system:serviceaccount:ci:drift" cannot get '
                'resource "deployments" in API group "apps" in the namespace "mlplat-tracking"',
                name="secret-sauce",
                group="apps",
                kind="deployments",
            ),
        ),
        f"{deployments}/flaky": (
            500,
            status(500, "InternalError", "Internal error occurred: etcdserver: request timed out"),
        ),
        "/apis/apps/v1/deployments?labelSelector=mlplat.io%2Fplatform%3Dacme%2Cmlplat.io%2Fenvironment%3Ddev": (
            200,
            {
                "kind": "DeploymentList",
                "apiVersion": "apps/v1",
                "metadata": {"resourceVersion": "49001"},
                "items": [DEPLOYMENT, STRAY],
            },
        ),
        "/apis/apps/v1/deployments?labelSelector=mlplat.io%2Fplatform%3Dother%2Cmlplat.io%2Fenvironment%3Ddev": (
            200,
            {
                "kind": "DeploymentList",
                "apiVersion": "apps/v1",
                "metadata": {"resourceVersion": "49001"},
                "items": [],
            },
        ),
        "/apis/apps/v1/deployments?labelSelector=mlplat.io%2Fplatform%3Dgone%2Cmlplat.io%2Fenvironment%3Ddev": (
            410,
            status(410, "Expired", "too old resource version: 1 (49001)"),
        ),
        "/apis/scheduling.k8s.io/v1/priorityclasses/mlplat-serving": (200, PRIORITY_CLASS),
    }


class RecordedApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = routes()
        self.requests: list[tuple[str, str]] = []  # (method, path with query) as received

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: RecordedApi

    def do_GET(self) -> None:
        self.server.requests.append(("GET", self.path))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, status(401, "Unauthorized", "Unauthorized"))
            return
        parts = urlsplit(self.path)
        # Query order is the client's business: match on the parsed query, not its text.
        for route, answer in self.server.routes.items():
            r = urlsplit(route)
            if r.path == parts.path and parse_qs(r.query) == parse_qs(parts.query):
                self._send(*answer)
                return
        # kube-apiserver's answer for a path it does not serve (e.g. an API group without its CRD)
        self._send(404, status(404, "NotFound", "the server could not find the requested resource"))

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[RecordedApi]:
    server = RecordedApi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _kubeconfig(tmp_path: Path, server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = {
        "apiVersion": "v1", "kind": "Config", "current-context": "recorded",
        "clusters": [{"name": "local", "cluster": {"server": server}}],
        "users": [{"name": "drift", "user": {"token": TOKEN}}],
        "contexts": [{"name": "recorded", "context": {"cluster": "local", "user": "drift"}},
                     {"name": "nobody-home", "context": {"cluster": "closed", "user": "drift"}}],
    }  # fmt: skip
    port = _closed_port()
    cfg["clusters"].append({"name": "closed", "cluster": {"server": f"http://127.0.0.1:{port}"}})  # type: ignore[union-attr]
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(cfg), encoding="utf-8")  # JSON is YAML: the client reads either
    monkeypatch.setenv("KUBECONFIG", str(path))
    # The client reads $KUBECONFIG once, at import; point its default at this file too.
    monkeypatch.setattr("kubernetes.config.kube_config.KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    # Discovery is cached in a file under the temp dir: keep it inside this test.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on return: nothing listens there


@pytest.fixture
def reader(api: RecordedApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KubeClientReader:
    _kubeconfig(tmp_path, api.url, monkeypatch)
    return KubeClientReader("recorded")


# --------------------------------------------------------------------------- get


def test_get_returns_the_object_as_the_api_sent_it(reader: KubeClientReader, api: RecordedApi) -> None:
    obj = reader.get("apps/v1", "Deployment", "mlplat-tracking", "mlflow")
    assert obj is not None
    assert (
        obj["metadata"]["name"] == "mlflow"
        and obj["metadata"]["uid"] == "5c0f4d0e-8a55-4c59-9d1b-7d3c2c4f0a11"
    )
    assert obj["spec"]["replicas"] == 3
    assert obj["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"] == {
        "cpu": "500m",
        "memory": "1Gi",
    }
    paths = [p for _, p in api.requests]
    # discovery first (version, core and group lists, the apps/v1 resource list), then the object
    assert {"/version", "/apis", "/apis/apps/v1"} <= set(paths)
    assert paths[-1] == "/apis/apps/v1/namespaces/mlplat-tracking/deployments/mlflow"


def test_get_cluster_scoped_object_has_no_namespace_in_the_path(
    reader: KubeClientReader, api: RecordedApi
) -> None:
    obj = reader.get("scheduling.k8s.io/v1", "PriorityClass", None, "mlplat-serving")
    assert obj is not None and obj["value"] == 100000
    assert api.requests[-1] == ("GET", "/apis/scheduling.k8s.io/v1/priorityclasses/mlplat-serving")


def test_get_404_is_absent(reader: KubeClientReader, api: RecordedApi) -> None:
    assert reader.get("apps/v1", "Deployment", "mlplat-tracking", "feast") is None
    assert api.requests[-1] == ("GET", "/apis/apps/v1/namespaces/mlplat-tracking/deployments/feast")


def test_get_of_a_kind_the_cluster_does_not_serve_is_absent(
    reader: KubeClientReader, api: RecordedApi
) -> None:
    """KServe not installed: discovery has no serving.kserve.io group, so no InferenceService can
    exist; the reader answers "absent" without asking for the object."""
    assert reader.get("serving.kserve.io/v1beta1", "InferenceService", "mlplat-serving", "m1") is None
    assert reader.list("serving.kserve.io/v1beta1", "InferenceService", "a=b") == []
    assert not [p for _, p in api.requests if "inferenceservices" in p]


def test_get_403_is_an_error_naming_the_refusal(reader: KubeClientReader) -> None:
    """Forbidden is not "absent": reporting a missing object the reader may not see would be a lie."""
    with pytest.raises(MlplatError) as err:
        reader.get("apps/v1", "Deployment", "mlplat-tracking", "secret-sauce")
    # the API's own message, once, without response headers or a Python traceback
    assert str(err.value) == (
        'Kubernetes API error: HTTP 403 Forbidden: deployments.apps "secret-sauce" is forbidden: User '
        '"system:serviceaccount:ci:drift" cannot get resource "deployments" in API group "apps" in the '
        'namespace "mlplat-tracking"'
    )


def test_get_500_is_an_error(reader: KubeClientReader) -> None:
    with pytest.raises(MlplatError) as err:
        reader.get("apps/v1", "Deployment", "mlplat-tracking", "flaky")
    assert str(err.value) == (
        "Kubernetes API error: HTTP 500 Internal Server Error: Internal error occurred: etcdserver: request timed out"
    )


def test_discovery_refused_is_an_error_not_absent(reader: KubeClientReader, api: RecordedApi) -> None:
    """The resource list of a group is forbidden (403): the reader cannot tell whether the object
    exists, so it fails rather than report the object missing."""
    api.routes["/apis/scheduling.k8s.io/v1"] = (403, status(
        403, "Forbidden", 'forbidden: User "system:serviceaccount:ci:drift" cannot get path "/apis/scheduling.k8s.io/v1"'))  # fmt: skip
    with pytest.raises(MlplatError, match=r"^Kubernetes API error: HTTP 403 Forbidden: forbidden: User"):
        reader.get("scheduling.k8s.io/v1", "PriorityClass", None, "mlplat-serving")


# --------------------------------------------------------------------------- list


def test_list_sends_the_label_selector_and_returns_the_items(
    reader: KubeClientReader, api: RecordedApi
) -> None:
    items = reader.list("apps/v1", "Deployment", "mlplat.io/platform=acme,mlplat.io/environment=dev")
    assert [i["metadata"]["name"] for i in items] == ["mlflow", "notebook-scratch"]
    method, path = api.requests[-1]
    parts = urlsplit(path)
    assert (method, parts.path) == ("GET", "/apis/apps/v1/deployments")  # every namespace
    assert parse_qs(parts.query) == {"labelSelector": ["mlplat.io/platform=acme,mlplat.io/environment=dev"]}


def test_list_with_no_match_is_empty(reader: KubeClientReader) -> None:
    assert reader.list("apps/v1", "Deployment", "mlplat.io/platform=other,mlplat.io/environment=dev") == []


def test_list_410_expired_is_an_error(reader: KubeClientReader) -> None:
    """What a watch or paged list gets once its resourceVersion is compacted away: an error, not []."""
    with pytest.raises(MlplatError, match=r"^Kubernetes API error: HTTP 410 Gone: too old resource version"):
        reader.list("apps/v1", "Deployment", "mlplat.io/platform=gone,mlplat.io/environment=dev")


# --------------------------------------------------------------------------- connecting


def test_every_request_carries_the_kubeconfig_token(reader: KubeClientReader, api: RecordedApi) -> None:
    # The server answers 401 to a request without the kubeconfig's bearer token.
    assert reader.get("apps/v1", "Deployment", "mlplat-tracking", "mlflow") is not None
    assert len(api.requests) >= 4  # discovery and the object, each authorised


def test_unknown_context_is_a_clear_error(
    api: RecordedApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _kubeconfig(tmp_path, api.url, monkeypatch)
    with pytest.raises(MlplatError, match="cannot load kubeconfig context 'prod-eu'"):
        KubeClientReader("prod-eu")
    assert api.requests == []


def test_unreachable_api_server_is_a_clear_error(api: RecordedApi, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    _kubeconfig(tmp_path, api.url, monkeypatch)
    with pytest.raises(MlplatError, match="cannot reach the Kubernetes API of context 'nobody-home'"):
        KubeClientReader("nobody-home")


# --------------------------------------------------------------------------- drift through the client


def test_compare_objects_through_the_client(reader: KubeClientReader) -> None:
    """A plan wanting 2 replicas of mlflow and a feast Deployment, against the recorded cluster:
    replicas changed (3 live), feast missing (404), the stray labelled Deployment unmanaged."""

    def deployment(name: str, replicas: float) -> PlanResource:
        t = "kubernetes:apps/v1:Deployment"
        return PlanResource(
            urn=f"urn:pulumi:acme-dev::acme::{t}::{name}", type=t, name=name, parent=None, component="tracking",
            inputs={"metadata": {"name": name, "namespace": "mlplat-tracking", "labels": LABELS},
                    "spec": {"replicas": replicas}},
        )  # fmt: skip

    plan = Plan("acme", "dev", [deployment("mlflow", 2.0), deployment("feast", 1.0)], "kubernetes")
    findings, urns = compare_objects(plan, reader, "acme", "dev")
    got = sorted((f.kind, f.resource, f.attribute, f.expected, f.actual) for f in findings)
    assert got == [
        ("changed", "mlplat-tracking/Deployment/mlflow", "replicas", 2, 3),
        ("missing", "mlplat-tracking/Deployment/feast", None, None, None),
        ("unmanaged", "mlplat-tracking/Deployment/notebook-scratch", None, None, None),
    ]
    assert len(urns) == 2
