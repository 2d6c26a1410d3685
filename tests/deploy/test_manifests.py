"""deploy/k8s validated offline, as `make test` runs it: every overlay rendered with kustomize,
every built-in manifest through `kubernetes-validate --strict` for a recent Kubernetes, every
custom resource against the CRD schemas shipped in deploy/k8s/crds, checkov with zero failed
checks (Kubernetes manifests and the Dockerfile for each SERVICE build arg), plus the invariants
ops rely on."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.k8s_support import (
    CRDS,
    CRM_DEPLOYMENTS,
    K8S,
    KUBERNETES_VERSION,
    NAMESPACE,
    OVERLAYS,
    ROOT,
    SUBGRAPHS,
    Rendered,
    containers,
    crd_errors,
    crd_schemas,
    env_of,
    kustomize,
    pod_spec,
    tool,
    write_split,
)

# One Dockerfile for every CRM process; the SERVICE build arg picks the package and its stage.
DOCKERFILE = ROOT / "Dockerfile"
# Each deliberate checkov skip, with the reason written next to it in the manifest/Dockerfile.
EXPECTED_SKIPS = {"CKV_K8S_43", "CKV_DOCKER_7"}
CUSTOM_KINDS = {
    "Certificate",
    "Issuer",
    "MongoDBCommunity",
    "RabbitmqCluster",
    "Vhost",
    "Exchange",
    "Policy",
    "User",
    "Permission",
    "ServiceMonitor",
}
CLUSTER_SCOPED = {"Namespace"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    root = tmp_path_factory.mktemp("rendered")
    return {
        overlay: write_split(overlay, kustomize(K8S / "overlays" / overlay), root / overlay)
        for overlay in OVERLAYS
    }


def kubernetes_validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_the_whole_system(rendered: dict[str, Rendered], overlay: str) -> None:
    r = rendered[overlay]
    keys = [(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in r.docs]
    assert len(keys) == len(set(keys)), "duplicate manifests"
    for doc in r.docs:
        if doc["kind"] not in CLUSTER_SCOPED:
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]
    names = {(d["kind"], d["metadata"]["name"]) for d in r.docs}
    for name in CRM_DEPLOYMENTS:
        for kind in ("ServiceAccount", "Deployment", "Service", "HorizontalPodAutoscaler"):
            assert (kind, name) in names, (kind, name)
        assert ("PodDisruptionBudget", name) in names
        assert ("NetworkPolicy", name) in names
    for name in SUBGRAPHS:
        assert ("MongoDBCommunity", f"crm-{name}-mongodb") in names
        assert ("User", f"crm-{name}") in names and ("Permission", f"crm-{name}") in names
    assert ("RabbitmqCluster", "crm-rabbitmq") in names
    assert ("Exchange", "crm-events") in names
    assert ("Deployment", "otel-collector") in names
    assert r.of_kind("ServiceMonitor")
    # secrets only by reference: the manifests carry no Secret and no inline secret values
    assert not r.of_kind("Secret")
    for doc in r.of_kind("Deployment"):
        for container in containers(doc):
            for name, value in env_of(container).items():
                secretish = re.search(r"SECRET|PASSWORD|TOKEN|_URI|AMQP", name)
                if secretish and not name.endswith("_FILE"):
                    pytest.fail(f"{doc['metadata']['name']}: {name}={value!r} inline")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_builtin_manifest_passes_kubernetes_validate_strict(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    r = rendered[overlay]
    proc = kubernetes_validate(*sorted(r.directory.glob("*.yaml")))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "ERROR" not in output, output
    passed = re.findall(r"^INFO .* passed for resource .* against version 1\.37", output, re.M)
    missing = set(re.findall(r"Couldn't find schema for kind (\w+) with api version (\S+)", output))
    builtin = [d for d in r.docs if d["kind"] not in CUSTOM_KINDS]
    # every built-in manifest validated; only custom resources lack a Kubernetes schema
    assert len(passed) == len(builtin), output
    assert {kind for kind, _ in missing} <= CUSTOM_KINDS, missing
    print(f"\n{overlay}: kubernetes-validate --strict passed {len(passed)} built-in manifests")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_custom_resource_matches_its_shipped_crd(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    schemas = crd_schemas()
    custom = [d for d in rendered[overlay].docs if d["kind"] in CUSTOM_KINDS]
    assert {d["kind"] for d in custom} == CUSTOM_KINDS
    errors = [e for doc in custom for e in crd_errors(doc, schemas)]
    assert errors == []
    print(f"\n{overlay}: {len(custom)} custom resources valid against their CRD schemas")


def test_shipped_crds_are_valid_kubernetes_objects() -> None:
    files = sorted(CRDS.glob("*.yaml"))
    proc = kubernetes_validate(*files)
    assert proc.returncode == 0 and "ERROR" not in proc.stdout + proc.stderr, proc.stdout
    assert proc.stdout.count("passed for resource customresourcedefinition/") == 10


def test_strict_validation_rejects_unknown_and_mistyped_fields(
    rendered: dict[str, Rendered], tmp_path: Path
) -> None:
    """The validators really are strict: a typo anywhere fails."""
    schemas = crd_schemas()
    r = Rendered("prod", Path(), copy.deepcopy(rendered["prod"].docs))
    mongo = r.get("MongoDBCommunity", "crm-customer-mongodb")
    mongo["spec"]["security"]["tls"]["enabeld"] = True
    assert any("enabeld" in e for e in crd_errors(mongo, schemas))
    rabbit = r.get("RabbitmqCluster", "crm-rabbitmq")
    rabbit["spec"]["replicas"] = "three"
    assert crd_errors(rabbit, schemas)
    policy = r.get("Policy", "crm-quorum-queues")
    policy["spec"]["applyTo"] = "quorum-queues"
    assert crd_errors(policy, schemas)

    deployment = r.get("Deployment", "customer")
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    bad = tmp_path / "bad-deployment.yaml"
    bad.write_text(yaml.safe_dump(deployment), encoding="utf-8")
    proc = kubernetes_validate(bad)
    assert proc.returncode != 0 and "imagePullPolcy" in proc.stdout + proc.stderr


def dockerfile_for(service: str, directory: Path) -> Path:
    """The Dockerfile as built with `--build-arg SERVICE=<service>` (the arg as its default)."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert text.count("\nARG SERVICE\n") == 3, "SERVICE is declared globally, in build and runtime"
    directory.mkdir(parents=True)
    path = directory / "Dockerfile"
    path.write_text(text.replace("\nARG SERVICE\n", f"\nARG SERVICE={service}\n"), "utf-8")
    return path


def test_checkov_reports_zero_failed_checks(rendered: dict[str, Rendered], tmp_path: Path) -> None:
    """One checkov run over both rendered overlays and the Dockerfile for each SERVICE build
    arg."""
    root = next(iter(rendered.values())).directory.parent
    args = [tool("checkov"), "--framework", "kubernetes", "dockerfile", "--skip-download"]
    args += ["-o", "json", "--output-file-path", str(tmp_path), "-d", str(root)]
    for service in CRM_DEPLOYMENTS:
        args += ["-d", str(dockerfile_for(service, tmp_path / "images" / service).parent)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    report_file = tmp_path / "results_json.json"
    assert report_file.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(report_file.read_text(encoding="utf-8"))
    reports = data if isinstance(data, list) else [data]
    by_type = {rep["check_type"]: rep for rep in reports}
    assert set(by_type) == {"kubernetes", "dockerfile"}, list(by_type)
    failed = [
        (c["check_id"], c["resource"], c.get("file_path"))
        for rep in reports
        for c in rep["results"]["failed_checks"]
    ]
    assert failed == []
    skipped = [c for rep in reports for c in rep["results"]["skipped_checks"]]
    assert {c["check_id"] for c in skipped} == EXPECTED_SKIPS
    reasons = [c["check_result"].get("suppress_comment", "") for c in skipped]
    assert all(len(reason) > 20 for reason in reasons), f"every skip states its reason: {reasons}"
    assert all(rep["summary"]["parsing_errors"] == 0 for rep in reports)
    for check_type, rep in sorted(by_type.items()):
        s = rep["summary"]
        print(
            f"\ncheckov {check_type}: passed {s['passed']}, failed {s['failed']}, "
            f"skipped {s['skipped']}, resources {s['resource_count']}"
        )
    assert by_type["kubernetes"]["summary"]["passed"] > 500
    assert by_type["dockerfile"]["summary"]["passed"] > 100
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.parametrize("service", CRM_DEPLOYMENTS)
def test_dockerfile_builds_each_process_from_the_pinned_base_as_non_root(
    rendered: dict[str, Rendered], service: str
) -> None:
    """Per SERVICE build arg: a workspace package to install, a stage that listens where the
    manifests' Service and container port point, the pinned 3.13 base and the non-root user."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.13-slim-bookworm$", text, re.M)
    assert re.findall(r"^FROM (\S+) AS (build|runtime)$", text, re.M) == [
        ("${PYTHON_IMAGE}", "build"),
        ("${PYTHON_IMAGE}", "runtime"),
    ]
    assert '--package "crm-${SERVICE}"' in text
    assert text.rstrip().endswith("\nFROM crm-${SERVICE}")
    assert re.findall(r"^USER (.*)$", text, re.M) == ["10001:10001"]
    assert 'ENTRYPOINT ["sh", "-c", "exec python -m \\"crm_${CRM_SERVICE}\\"' in text
    package = ROOT / ("gateway" if service == "gateway" else f"services/{service}")
    assert f'name = "crm-{service}"' in (package / "pyproject.toml").read_text(encoding="utf-8")
    stage = re.search(rf"^FROM runtime AS crm-{service}\n(.*?)(?:\n\n|\Z)", text, re.M | re.S)
    assert stage, f"no crm-{service} stage"
    prefix = service.upper()
    port = rendered["prod"].get("Service", service)["spec"]["ports"][0]["port"]
    assert stage.group(1).splitlines() == [
        f"ENV {prefix}_HOST=0.0.0.0 {prefix}_PORT={port}",
        f"EXPOSE {port}",
    ]
    main = pod_spec(rendered["prod"].get("Deployment", service))["containers"][0]
    assert main["ports"][0]["containerPort"] == port


# --- invariants ops rely on -------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workloads_are_hardened_and_probed(rendered: dict[str, Rendered], overlay: str) -> None:
    r = rendered[overlay]
    for doc in r.of_kind("Deployment"):
        name = doc["metadata"]["name"]
        spec = pod_spec(doc)
        assert spec["automountServiceAccountToken"] is False, name
        pod_sc = spec["securityContext"]
        assert pod_sc["runAsNonRoot"] is True, name
        assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec.get("topologySpreadConstraints"), name
        for c in containers(doc):
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, (name, c["name"])
            assert sc["readOnlyRootFilesystem"] is True, (name, c["name"])
            assert sc["capabilities"]["drop"] == ["ALL"], (name, c["name"])
            assert sc["runAsNonRoot"] is True and sc["runAsUser"] >= 10000, (name, c["name"])
            assert sc["seccompProfile"]["type"] == "RuntimeDefault", (name, c["name"])
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c["resources"][bound]), (name, c["name"])
            assert ":" in c["image"] and not c["image"].endswith(":latest"), c["image"]
            if "SSL_CERT_FILE" in env_of(c):  # the bundle must exist where it is named
                mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
                assert "/etc/crm/trust" in mounts, (name, c["name"])
        if name in CRM_DEPLOYMENTS:
            main = spec["containers"][0]
            assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert main["startupProbe"]["httpGet"]["path"] == "/healthz"
            assert main["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
            assert doc["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
            assert "replicas" not in doc["spec"], "the HPA owns the replica count"
            # uvicorn's graceful shutdown (15 s) and the workers' stop fit in the grace period
            assert spec.get("terminationGracePeriodSeconds", 30) >= 30
        if name in SUBGRAPHS:
            init = [c for c in spec["initContainers"] if c["name"] == "migrate"]
            assert init and init[0]["command"] == ["python", "-m", f"crm_{name}.migrate"]
            env = env_of(spec["containers"][0])
            assert env["MONGODB_URI_FILE"] and env["AMQP_URL_FILE"]
            mounts = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
            assert {"/etc/crm/mongodb", "/etc/crm/rabbitmq", "/tmp"} <= mounts


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_isolate_subgraphs_and_data(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    r = rendered[overlay]
    deny = r.get("NetworkPolicy", "default-deny-ingress")
    assert deny["spec"]["podSelector"] == {} and deny["spec"]["policyTypes"] == ["Ingress"]
    assert "ingress" not in deny["spec"]
    for name in SUBGRAPHS:
        policy = r.get("NetworkPolicy", name)["spec"]
        peers = [p for rule in policy["ingress"] for p in rule["from"]]
        pod_peers = [p["podSelector"]["matchLabels"] for p in peers if "podSelector" in p]
        assert pod_peers == [{"app.kubernetes.io/name": "gateway"}], (name, peers)
        mongo = r.get("NetworkPolicy", f"crm-{name}-mongodb")["spec"]
        sources = [
            p["podSelector"]["matchLabels"] for rule in mongo["ingress"] for p in rule["from"]
        ]
        assert {"app.kubernetes.io/name": name} in sources
        others = [s for s in sources if s.get("app.kubernetes.io/name") not in (None, name)]
        assert others == [], f"{name}'s database admits {others}"
    rabbit = r.get("NetworkPolicy", "crm-rabbitmq")["spec"]
    amqps = {"port": 5671, "protocol": "TCP"}
    amqp = [rule for rule in rabbit["ingress"] if amqps in rule["ports"]]
    clients = [p["podSelector"]["matchLabels"] for p in amqp[0]["from"]]
    assert clients == [{"crm.io/role": "service"}]
    gateway_pods = r.get("Deployment", "gateway")["spec"]["template"]["metadata"]["labels"]
    assert "crm.io/role" not in gateway_pods, "the gateway must not reach the broker"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_subgraph_urls_name_the_subgraph_services(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    r = rendered[overlay]
    env = env_of(r.get("Deployment", "gateway")["spec"]["template"]["spec"]["containers"][0])
    entries = dict(item.split("=", 1) for item in env["GATEWAY_SUBGRAPHS"].split(","))
    assert set(entries) == set(SUBGRAPHS)
    for name, url in entries.items():
        m = re.fullmatch(r"http://([a-z-]+)\.crm\.svc\.cluster\.local:(\d+)/graphql", url)
        assert m, url
        service = r.get("Service", m.group(1))
        assert service["spec"]["ports"][0]["port"] == int(m.group(2))
        assert service["spec"]["selector"] == {"app.kubernetes.io/name": name}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_settings_names_are_ones_the_code_reads(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """A misspelt variable would be silently ignored: every name must be read somewhere."""
    files = [
        *(ROOT / "libs/crm_kit/src").rglob("*.py"),
        *(ROOT / "gateway/src").rglob("*.py"),
        *(ROOT / "services").glob("*/src/**/*.py"),
    ]
    sources = "".join(p.read_text(encoding="utf-8") for p in files)
    known = set(re.findall(r"\(\s*f?\"([A-Z][A-Z0-9_]+)\"", sources))
    # settings tables: ("field", "VARIABLE", parser)
    known |= set(re.findall(r"\(\s*\"[a-z_]+\",\s*\"([A-Z][A-Z0-9_]+)\"", sources))
    known |= {f"{n}_FILE" for n in re.findall(r"_secret\(\s*\"([A-Z][A-Z0-9_]+)\"", sources)}
    for service in SUBGRAPHS:
        known |= {f"{service.upper()}_{s}" for s in ("HOST", "PORT", "MONGODB_DATABASE")}
    known.add("SSL_CERT_FILE")  # read by OpenSSL (Python's ssl default context)
    assert {"MONGODB_URI", "JWT_JWKS_URL", "GATEWAY_SUBGRAPHS", "LOG_FORMAT"} <= known
    r = rendered[overlay]
    config = r.get("ConfigMap", "crm-config")["data"]
    names = set(config) | set(r.get("ConfigMap", "crm-notification-config")["data"])
    for doc in r.of_kind("Deployment"):
        if doc["metadata"]["name"] in CRM_DEPLOYMENTS:
            for c in containers(doc):
                names |= set(env_of(c))
    assert names - known == set()
    assert config["LOG_FORMAT"] == "json"


def test_prod_overlay_is_sized_for_production(rendered: dict[str, Rendered]) -> None:
    prod = rendered["prod"]
    for name in SUBGRAPHS:
        assert prod.get("MongoDBCommunity", f"crm-{name}-mongodb")["spec"]["members"] == 3
        hpa = prod.get("HorizontalPodAutoscaler", name)["spec"]
        assert hpa["minReplicas"] >= 3 and hpa["maxReplicas"] > hpa["minReplicas"]
    cluster = prod.get("RabbitmqCluster", "crm-rabbitmq")["spec"]
    assert cluster["replicas"] == 3
    config = prod.get("ConfigMap", "crm-config")["data"]
    assert config["CRM_ENV"] == "production" and config["MONGODB_TLS"] == "true"
    assert config["GATEWAY_TRUSTED_PROXY_HOPS"] == "1"
    assert "cluster_partition_handling = pause_minority" in cluster["rabbitmq"]["additionalConfig"]
    assert prod.get("Vhost", "crm")["spec"]["defaultQueueType"] == "quorum"
    assert prod.get("Ingress", "gateway")["spec"]["tls"]
    exchange = prod.get("Exchange", "crm-events")["spec"]
    assert exchange["name"] == "crm.events" and exchange["type"] == "topic"
    assert exchange["durable"] is True


def doc_count(rendered: dict[str, Rendered]) -> dict[str, int]:
    return {overlay: len(r.docs) for overlay, r in rendered.items()}


def test_manifest_counts(rendered: dict[str, Rendered]) -> None:
    counts = doc_count(rendered)
    print(f"\nrendered manifests: {counts}")
    assert all(n >= 60 for n in counts.values()), counts
