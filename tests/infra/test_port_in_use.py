"""A port already taken gives a one-line reason, not a stack trace."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_dev import rabbit
from crm_dev.ports import free_port


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_mongo_cli_reports_port_in_use(taken_port: int, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crm_dev.mongo", "--port", str(taken_port), "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"port {taken_port} is already in use (set MONGO_PORT or MONGODB_URI)"
    )
    assert not (tmp_path / "mongoeco.sqlite3").exists()


def test_rabbit_reports_port_in_use(taken_port: int, tmp_path: Path) -> None:
    if not rabbit.installed():
        pytest.skip("rabbitmq-server is not installed")
    with pytest.raises(rabbit.RabbitError) as info:
        rabbit.start(tmp_path, taken_port)
    assert str(info.value) == f"port {taken_port} is already in use (set AMQP_PORT or AMQP_URL)"


def test_rabbit_cli_reports_port_in_use(taken_port: int, tmp_path: Path) -> None:
    if not rabbit.installed():
        pytest.skip("rabbitmq-server is not installed")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crm_dev.rabbit",
            "--port",
            str(taken_port),
            "--data",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"rabbitmq: port {taken_port} is already in use (set AMQP_PORT or AMQP_URL)"
    ]


def test_supervisor_reports_port_in_use(taken_port: int, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CRM_DATA_DIR": str(tmp_path),
        "MONGODB_URI": "mongodb://127.0.0.1:1/?directConnection=true",
        "AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
        "GATEWAY_PORT": str(free_port()),
        "CUSTOMER_PORT": str(free_port()),
        "INTERACTION_PORT": str(taken_port),
        "NOTIFICATION_PORT": str(free_port()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "crm_dev.run", "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: port {taken_port} is already in use (set INTERACTION_PORT)"
    ]


def test_free_ports_come_from_below_the_ephemeral_range() -> None:
    """Outgoing connections draw their local port from the ephemeral range; a test server's
    port picked there could be taken by one before the server binds it."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    ports = {free_port() for _ in range(20)}
    assert all(10000 <= port < low for port in ports), ports
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))  # really free
