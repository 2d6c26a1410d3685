"""Fault-injection fixtures: the system as real processes (once for the package), the table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_dev.testing import Broker
from tests.faults.report import RESULTS, table, write_doc
from tests.faults.system import System, build_system


@pytest.fixture(scope="package")
def system(
    mongodb_uri: str, broker: Broker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    log_dir: Path = tmp_path_factory.mktemp("faults")
    sys_ = build_system(mongodb_uri, broker.url, log_dir)
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
