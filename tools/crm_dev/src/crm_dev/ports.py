"""Small helpers for local TCP ports."""

from __future__ import annotations

import errno
import random
import socket
import time

_LOWEST = 10000  # above the well-known and common development ports
# Ports this process handed out: a server started later in a test may not have bound its port
# yet when the next one is chosen, so "free right now" alone could hand the same port twice.
_handed_out: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(v) for v in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free right now, chosen below the OS's ephemeral range.

    Why not the OS's pick (bind to port 0): that comes from the ephemeral range, which every
    outgoing connection on the machine draws its local port from, so between the pick and the
    server binding it (or while a broker is restarted in a fault test) a client connection can
    take it — seen in CI as "port 45021 is already in use" for a test broker.
    """
    low, _ = _ephemeral_range()
    if low - 1 > _LOWEST:
        for _ in range(50):
            port = random.randint(_LOWEST, low - 1)
            if port not in _handed_out and not port_in_use(port, host):
                _handed_out.add(port)
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something listens on (or holds) host:port.

    Binds with SO_REUSEADDR like asyncio/uvicorn/erlang do, so sockets in TIME_WAIT
    do not count as "in use".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return _accepts(host, port, 0.2)


def _accepts(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port(port: int, host: str = "127.0.0.1", timeout: float = 30.0) -> bool:
    """Wait until host:port accepts TCP connections; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _accepts(host, port, 0.5):
            return True
        time.sleep(0.05)
    return False
