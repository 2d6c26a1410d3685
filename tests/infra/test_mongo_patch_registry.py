"""The registry of the embedded server's mongoeco patches (crm_dev.mongo.patches.registry):
it applies patches in their declared order, refuses — replacing nothing — when the installed
version is not the one a patch was written for or a target is missing, and applies nothing
when the server is asked to run unpatched. Most cases run on a stand-in library."""

from __future__ import annotations

import asyncio
import pathlib
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from crm_dev.mongo import patches, serve, switches
from crm_dev.mongo.patches import PATCHES
from crm_dev.mongo.patches.registry import (
    Originals,
    Patch,
    PatchRefused,
    Registry,
    RegistryError,
    Replacements,
)
from crm_dev.ports import free_port
from crm_dev.testing import MongoServer

LIBRARY = "stand_in_mongoeco"
RUN = f"{LIBRARY}.Engine.run"
NO_PATCHES = {switches.UNPATCHED.name: "1"}


class Engine:
    def run(self) -> list[str]:
        return ["original"]

    @staticmethod
    def version_name() -> str:
        return "original"


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Engine]]:
    """A fresh stand-in library (version 1.0) whose `Engine` the patches replace methods of."""
    library = types.ModuleType(LIBRARY)
    fresh = type("Engine", (Engine,), {})
    library.__dict__.update(__version__="1.0", Engine=fresh)
    monkeypatch.setitem(sys.modules, LIBRARY, library)
    yield fresh


def wrapping(
    name: str,
    *,
    after: tuple[str, ...] = (),
    written_for: str = "1.0",
    extra_targets: tuple[str, ...] = (),
    switch: switches.Switch | None = None,
) -> Patch:
    """A patch wrapping `Engine.run` so that the result lists the patches in applied order."""

    def build(originals: Originals) -> Replacements:
        original = originals[RUN]

        def run(self: Engine) -> list[str]:
            return [*original(self), name]

        return {RUN: run, **{target: originals[target] for target in extra_targets}}

    return Patch(name, written_for, (RUN, *extra_targets), build, after, switch)


def test_patches_are_applied_in_their_declared_order(engine: type[Engine]) -> None:
    declared = [
        wrapping("c", after=("b",)),
        wrapping("a", after=("z",)),  # `after` wins over the names' order
        wrapping("b", after=("a",)),
        wrapping("z"),
    ]
    registry = Registry(declared, package=LIBRARY)
    assert registry.names == ["z", "a", "b", "c"]
    outcome = registry.apply(environ={})
    assert outcome.applied == ("z", "a", "b", "c") and outcome.version == "1.0"
    assert engine().run() == ["original", "z", "a", "b", "c"]
    registry.apply(environ={})  # once per process: a second call wraps nothing again
    assert engine().run() == ["original", "z", "a", "b", "c"]


def test_a_version_mismatch_refuses_and_replaces_nothing(engine: type[Engine]) -> None:
    registry = Registry(
        [wrapping("fits"), wrapping("older", after=("fits",), written_for="0.9")], package=LIBRARY
    )
    with pytest.raises(PatchRefused) as refused:
        registry.apply(environ={})
    message = str(refused.value)
    assert f"patch 'older' was written for {LIBRARY} 0.9, but {LIBRARY} 1.0 is installed" in message
    assert "MONGOECO_UNPATCHED=1" in message
    assert engine().run() == ["original"], "not even the patch that fits is applied"
    assert not registry.is_applied("fits")


def test_a_missing_target_refuses_and_replaces_nothing(engine: type[Engine]) -> None:
    gone = f"{LIBRARY}.Engine.renamed_in_a_new_version"
    no_module = f"{LIBRARY}.no_such_module.function"
    registry = Registry(
        [wrapping("fits"), wrapping("reaches", after=("fits",), extra_targets=(gone, no_module))],
        package=LIBRARY,
    )
    with pytest.raises(PatchRefused) as refused:
        registry.apply(environ={})
    assert refused.value.problems == [
        f"patch 'reaches' replaces {gone}, which {LIBRARY} 1.0 does not have",
        f"patch 'reaches' replaces {no_module}, which {LIBRARY} 1.0 does not have",
    ]
    assert engine().run() == ["original"]


def test_the_unpatched_switch_applies_nothing(engine: type[Engine]) -> None:
    registry = Registry(
        [wrapping("fits"), wrapping("older", after=("fits",), written_for="0.9")], package=LIBRARY
    )
    outcome = registry.apply(environ=NO_PATCHES)  # no refusal either: nothing is checked
    assert outcome.unpatched and outcome.applied == ()
    assert "running unpatched (MONGOECO_UNPATCHED=1)" in outcome.describe()
    assert engine().run() == ["original"]
    assert not registry.try_apply("fits", environ=NO_PATCHES)
    assert engine().run() == ["original"]


def test_a_patch_switched_off_is_left_out(engine: type[Engine]) -> None:
    switch = switches.Switch("STAND_IN_PATCH", "1", "`0` leaves off the stand-in patch")
    registry = Registry(
        [wrapping("a"), wrapping("b", after=("a",), switch=switch)], package=LIBRARY
    )
    outcome = registry.apply(environ={"STAND_IN_PATCH": "0"})
    assert outcome.applied == ("a",) and outcome.switched_off == ("b",)
    assert engine().run() == ["original", "a"]


def test_two_patches_replacing_one_attribute_must_declare_their_order() -> None:
    with pytest.raises(RegistryError, match=f"'a' and 'b' both replace {RUN}"):
        Registry([wrapping("a"), wrapping("b")], package=LIBRARY)
    with pytest.raises(RegistryError, match="unknown patches"):
        Registry([wrapping("a", after=("missing",))], package=LIBRARY)
    with pytest.raises(RegistryError, match="cycle"):
        Registry([wrapping("a", after=("b",)), wrapping("b", after=("a",))], package=LIBRARY)
    with pytest.raises(RegistryError, match="two patches are named"):
        Registry([wrapping("a"), wrapping("a")], package=LIBRARY)


def test_a_patch_applied_alone_keeps_the_order(engine: type[Engine]) -> None:
    registry = Registry([wrapping("a"), wrapping("b", after=("a",))], package=LIBRARY)
    assert registry.try_apply("b", environ={})
    with pytest.raises(
        PatchRefused, match="patch 'a' must be applied before 'b', which already is"
    ):
        registry.apply(environ={})
    assert engine().run() == ["original", "b"]


def test_a_patch_replaces_exactly_its_targets_and_keeps_static_methods_static(
    engine: type[Engine],
) -> None:
    static = f"{LIBRARY}.Engine.version_name"

    def build(originals: Originals) -> Replacements:
        return {static: lambda: f"patched {originals[static]()}"}

    Registry([Patch("static", "1.0", (static,), build)], package=LIBRARY).apply(environ={})
    assert engine().version_name() == "patched original"
    undeclared = Patch("undeclared", "1.0", (static,), lambda originals: {RUN: None})
    with pytest.raises(RegistryError, match="declares"):
        Registry([undeclared], package=LIBRARY).apply(environ={})


def test_the_embedded_servers_patches_fit_the_installed_mongoeco() -> None:
    assert PATCHES.problems(PATCHES.patches, PATCHES.version()) == []
    names = PATCHES.names
    assert "transaction_gate" in names
    for first, then in [
        ("count_pipeline", "transaction_gate"),  # the gate sees the command the client sent
        ("expr_index", "multikey"),
        ("busy_timeout", "features_cache"),
    ]:
        assert names.index(first) < names.index(then)


def test_every_environment_switch_is_declared_in_one_place() -> None:
    declared = {switch.name for switch in switches.ALL}
    assert len(declared) == len(switches.ALL)
    assert {p.switch.name for p in PATCHES.patches if p.switch is not None} <= declared
    assert switches.UNPATCHED.name in declared
    package = pathlib.Path(patches.__file__).parent.parent
    readers = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if "os.environ" in path.read_text() or "getenv" in path.read_text()
    ]
    assert readers == ["switches.py"]
    table = switches.table()
    assert all(f"| `{name}` |" in table for name in declared)


def test_the_server_refuses_to_start_on_another_mongoeco_version(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import mongoeco

    monkeypatch.setattr(mongoeco, "__version__", "0.0.1")
    monkeypatch.delenv(switches.UNPATCHED.name, raising=False)
    data = tmp_path / "data"
    assert asyncio.run(serve(free_port(), data)) == 1
    message = capsys.readouterr().err.strip()
    assert message.startswith("embedded MongoDB not started: patch ")
    assert "was written for mongoeco 4.11.0, but mongoeco 0.0.1 is installed" in message
    assert "'transaction_gate'" in message and "MONGOECO_UNPATCHED=1" in message
    assert not data.exists()


def test_an_unpatched_server_starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(switches.UNPATCHED.name, "1")
    server = MongoServer(tmp_path)
    server.start()
    try:
        client: MongoClient[dict[str, object]] = MongoClient(server.uri, timeoutMS=30_000)
        client["unpatched"]["t"].insert_one({"_id": "a"})
        assert client["unpatched"]["t"].count_documents({}) == 1
        client.close()
    finally:
        server.stop()
    assert "mongoeco: running unpatched (MONGOECO_UNPATCHED=1)" in server.log_file.read_text()
