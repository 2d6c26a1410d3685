"""Fault-injection fixtures: the system as real processes (once for the package), the table.

Each service owns its database; on the embedded MongoDB each also gets its own server
(customer: the session's `mongo_server`; interaction, notification and sales: one each,
started here). mongoeco runs one transaction at a time per server, so one shared server would
serialise every service's transactions behind each other (~1 creation/s through the whole
pipeline); with `MONGODB_URI` set, every service uses that server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_dev.testing import Broker, MongoServer
from tests.faults.report import RESULTS, table, write_doc
from tests.faults.system import SERVICES, System, build_system

OWN_SERVERS = ("interaction", "notification", "sales")


@pytest.fixture(scope="package")
def mongo_servers(
    mongo_server: MongoServer | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, MongoServer]]:
    """The embedded MongoDB server of each service (empty with an external MONGODB_URI)."""
    if mongo_server is None or os.environ.get("MONGODB_URI"):
        yield {}
        return
    servers = {"customer": mongo_server}
    try:
        for name in OWN_SERVERS:
            servers[name] = MongoServer(tmp_path_factory.mktemp(f"mongo-{name}"))
            servers[name].start()
        yield servers
    finally:
        for name in OWN_SERVERS:
            if name in servers:
                servers[name].stop()


@pytest.fixture(scope="package")
def system(
    mongodb_uri: str,
    mongo_servers: dict[str, MongoServer],
    broker: Broker,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[System]:
    log_dir: Path = tmp_path_factory.mktemp("faults")
    uris = {name: mongo_servers[name].uri if mongo_servers else mongodb_uri for name in SERVICES}
    sys_ = build_system(uris, broker.url, log_dir)
    try:
        sys_.start()
        yield sys_
    finally:
        sys_.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    results = list(RESULTS.values())
    terminalreporter.write_sep("=", "reliability under faults")
    terminalreporter.write(table(results))
    write_doc(results)
    terminalreporter.write_line("written to docs/reliability.md")
