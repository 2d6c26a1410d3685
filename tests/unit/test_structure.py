"""The rules of the house that can be asserted from the code itself: what a module may import,
by the role its name gives it, and what the gateway installs and loads of the kit."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p for p in (ROOT / "services").iterdir() if (p / "src").is_dir())
PACKAGES = {f"crm_{p.name}" for p in SERVICES}
IO_LIBRARIES = frozenset(
    {"pymongo", "bson", "motor", "strawberry", "starlette", "httpx", "aiohttp", "aio_pika",
     "aiormq", "uvicorn", "aiosmtplib", "websockets"}
)  # fmt: skip
# What the gateway may load of the kit: the core, no database, broker or GraphQL library.
CHASSIS_LIBRARIES = ("pymongo", "bson", "aio_pika", "strawberry")
KIT_CORE = (
    "auth", "settings", "errors", "telemetry", "logs", "metrics", "policy", "personal",
    "idempotency_keys", "paging", "i18n",
)  # fmt: skip


def imports(path: Path) -> Iterator[str]:
    """Every module a file imports (absolute names; relative imports resolved to the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def service_sources() -> list[tuple[str, Path]]:
    return [(f"crm_{s.name}", p) for s in SERVICES for p in (s / "src").rglob("*.py")]


def test_no_model_module_imports_an_io_library() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for _, path in service_sources()
        if path.name == "model.py"
        for name in imports(path)
        if name.split(".")[0] in IO_LIBRARIES
    ]
    assert not offenders, "\n".join(offenders)


def _is_graphql_module(path: Path) -> bool:
    return path.name == "graphql.py" or "graphql" in path.parent.parts[-1:]


def test_no_graphql_module_imports_a_store() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for _, path in service_sources()
        if _is_graphql_module(path)
        for name in imports(path)
        if name.split(".")[-1] == "store" or ".store." in f"{name}."
    ]
    assert not offenders, "\n".join(offenders)


def test_no_service_imports_another_service() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for own, path in service_sources()
        for name in imports(path)
        if name.split(".")[0] in PACKAGES - {own}
    ]
    for folder in (ROOT / "libs", ROOT / "gateway"):
        offenders += [
            f"{path.relative_to(ROOT)} imports {name}"
            for path in folder.rglob("*.py")
            for name in imports(path)
            if name.split(".")[0] in PACKAGES
        ]
    assert not offenders, "\n".join(offenders)


def _loaded_after(statement: str) -> set[str]:
    probe = (
        f"import sys; {statement}; "
        f"print(','.join(m for m in {CHASSIS_LIBRARIES!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return {m for m in done.stdout.strip().split(",") if m}


def test_the_gateway_loads_no_database_broker_or_graphql_library_of_the_kit() -> None:
    gateway = sorted(
        ".".join(p.relative_to(ROOT / "gateway" / "src").with_suffix("").parts)
        for p in (ROOT / "gateway" / "src" / "crm_gateway").rglob("*.py")
        if p.name != "__main__.py"
    )
    statement = "; ".join(f"import {m}" for m in gateway)
    assert _loaded_after(statement) == set()


@pytest.mark.parametrize("module", KIT_CORE)
def test_the_kit_core_needs_no_chassis_library(module: str) -> None:
    assert _loaded_after(f"import crm_kit.{module}") == set()


def test_the_gateway_installs_the_kit_core_alone() -> None:
    """In the lock: crm-gateway's dependency closure holds no MongoDB, broker or strawberry."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    packages = {p["name"]: p for p in lock["package"]}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    todo: list[tuple[str, tuple[str, ...]]] = [("crm-gateway", ())]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        package = packages[name]
        deps = list(package.get("dependencies", []))
        for extra in extras:
            deps += package.get("optional-dependencies", {}).get(extra, [])
        todo += [(d["name"], tuple(d.get("extra", []))) for d in deps]
    installed = {name for name, _ in seen}
    assert "crm-kit" in installed
    assert not installed & {"pymongo", "aio-pika", "strawberry-graphql"}


@pytest.mark.parametrize(
    "package",
    ["crm_kit", "crm_gateway", "crm_dev", *sorted(PACKAGES)],
)
def test_every_module_of_every_package_imports(package: str) -> None:
    """mypy ignores missing imports (third-party stubs); a module that names one of ours that
    is gone must still fail somewhere: here."""
    probe = (
        "import importlib, pkgutil, sys; "
        f"pkg = importlib.import_module({package!r}); "
        "names = [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.') "
        "if not m.name.endswith('__main__')]; "
        "[importlib.import_module(n) for n in names]; print(len(names))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], check=False, capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) > 0


def _model_modules(service: Path) -> list[str]:
    return sorted(
        ".".join(path.relative_to(service / "src").with_suffix("").parts)
        for path in (service / "src").rglob("model.py")
    )


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_model_modules_load_no_io_library_even_indirectly(service: Path) -> None:
    """All of a service's model modules in one interpreter: if none of the libraries is loaded
    after all of them, none is loaded by any one of them (each import names the first culprit)."""
    probe = (
        "import importlib, sys\n"
        f"for name in {_model_modules(service)!r}:\n"
        "    importlib.import_module(name)\n"
        f"    found = sorted(m for m in {sorted(IO_LIBRARIES)!r} if m in sys.modules)\n"
        "    if found:\n"
        "        print(name, found)\n"
        "        break\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=ROOT
    )
    assert done.stdout.strip() == ""
