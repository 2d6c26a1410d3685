"""Embedded RabbitMQ: Debian's rabbitmq-server run as a project-local node.

Everything (mnesia, logs, feature flags, plugins, config, pid file, erlang cookie) lives
under the data directory; the node has its own name, AMQP port, distribution port and
epmd port, so it never clashes with a system broker or with another project node.

    python -m crm_dev.rabbit --port 5673 --data .data/rabbitmq     # foreground

API for tests and the supervisor: ``start(data_dir, port) -> RabbitNode``, ``stop(node)``
(graceful, ``rabbitmqctl stop``), ``kill(node)`` (SIGKILL) and ``restart(node)``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from crm_dev.ports import port_in_use

DEFAULT_PORT = 5673
DEFAULT_EPMD_PORT = 4370  # the system epmd uses 4369
DEFAULT_DATA = Path(".data/rabbitmq")


def _sbin() -> Path:
    """Where the rabbitmq scripts are: Debian's private dir (no `su rabbitmq` wrapper) first."""
    override = os.environ.get("RABBITMQ_SBIN")
    if override:
        return Path(override)
    debian = Path("/usr/lib/rabbitmq/bin")
    if (debian / "rabbitmq-server").exists():
        return debian
    found = shutil.which("rabbitmq-server")
    return Path(os.path.realpath(found)).parent if found else debian


SBIN = _sbin()
AMQP_HEADER = b"AMQP\x00\x00\x09\x01"


class RabbitError(RuntimeError):
    """The broker could not be started; the message is one line, ``log_tail`` the evidence."""

    def __init__(self, message: str, log_tail: list[str] | None = None) -> None:
        super().__init__(message)
        self.log_tail = log_tail or []


@dataclass
class RabbitNode:
    data_dir: Path
    port: int
    node: str
    dist_port: int
    epmd_port: int
    host: str = "127.0.0.1"
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    epmd: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@{self.host}:{self.port}/"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "log" / f"{self.node}.log"

    @property
    def console_file(self) -> Path:
        return self.data_dir / "log" / "console.log"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def env(self) -> dict[str, str]:
        d = self.data_dir
        env = {k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")}
        env.update(
            HOME=str(d / "home"),  # erlang cookie
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_USE_LONGNAME="false",
            RABBITMQ_NODE_IP_ADDRESS=self.host,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            ERL_EPMD_PORT=str(self.epmd_port),
            ERL_EPMD_ADDRESS=self.host,
            RABBITMQ_CONF_ENV_FILE=str(d / "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE=str(d / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(d / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(d / "enabled_plugins"),
            RABBITMQ_PLUGINS_EXPAND_DIR=str(d / "plugins-expand"),
            RABBITMQ_FEATURE_FLAGS_FILE=str(d / "feature_flags"),
            RABBITMQ_MNESIA_BASE=str(d / "mnesia"),
            RABBITMQ_LOG_BASE=str(d / "log"),
            RABBITMQ_LOGS=str(self.log_file),
            RABBITMQ_PID_FILE=str(d / f"{self.node}.pid"),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
            ERL_CRASH_DUMP=str(d / "log" / "erl_crash.dump"),
        )
        return env


def installed() -> bool:
    return (SBIN / "rabbitmq-server").exists()


def _write_config(node: RabbitNode) -> None:
    d = node.data_dir
    for sub in ("home", "mnesia", "log", "plugins-expand"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    (d / "rabbitmq-env.conf").write_text("# project-local node: settings come from env\n")
    (d / "enabled_plugins").write_text("[].\n")
    (d / "advanced.config").write_text("[].\n")
    (d / "rabbitmq.conf").write_text(
        "\n".join(
            [
                f"listeners.tcp.1 = {node.host}:{node.port}",
                "loopback_users.guest = true",
                "disk_free_limit.absolute = 50MB",
                "log.console = false",
                "log.file.level = info",
                "",
            ]
        )
    )


def make_node(
    data_dir: Path,
    port: int,
    *,
    node: str | None = None,
    dist_port: int | None = None,
    epmd_port: int | None = None,
) -> RabbitNode:
    return RabbitNode(
        data_dir=data_dir.resolve(),
        port=port,
        node=node or f"crm-dev-{port}@localhost",
        dist_port=dist_port or int(os.environ.get("RABBITMQ_DIST_PORT", port + 20000)),
        epmd_port=epmd_port or int(os.environ.get("ERL_EPMD_PORT", DEFAULT_EPMD_PORT)),
    )


def start(
    data_dir: Path,
    port: int = DEFAULT_PORT,
    *,
    node: str | None = None,
    dist_port: int | None = None,
    epmd_port: int | None = None,
    timeout: float = 60.0,
) -> RabbitNode:
    """Start a node and return once it accepts AMQP connections."""
    handle = make_node(data_dir, port, node=node, dist_port=dist_port, epmd_port=epmd_port)
    launch(handle, timeout=timeout)
    return handle


def launch(node: RabbitNode, *, timeout: float = 60.0) -> None:
    """(Re)start the broker process of an existing handle and wait until it is ready."""
    if node.running:
        return
    if not installed():
        raise RabbitError(
            "rabbitmq-server is not installed: run `make install` as root (apt) or set AMQP_URL"
        )
    for port, var in ((node.port, "AMQP_PORT"), (node.dist_port, "RABBITMQ_DIST_PORT")):
        if port_in_use(port, node.host):
            raise RabbitError(f"port {port} is already in use (set {var} or AMQP_URL)")
    _write_config(node)
    _ensure_epmd(node)
    node.console_file.parent.mkdir(parents=True, exist_ok=True)
    with node.console_file.open("ab") as console:
        node.proc = subprocess.Popen(
            [str(SBIN / "rabbitmq-server")],
            env=node.env(),
            cwd=node.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: kill() reaches erl too
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.proc.poll() is not None:
            reason = failure_reason(node)
            node.proc = None
            raise RabbitError(
                f"RabbitMQ node {node.node} exited during start: {reason}", tail(node)
            )
        if amqp_ready(node.host, node.port):
            return
        time.sleep(0.1)
    reason = failure_reason(node)
    kill(node)
    raise RabbitError(
        f"RabbitMQ node {node.node} not ready after {timeout:.0f}s: {reason}", tail(node)
    )


def _ensure_epmd(node: RabbitNode) -> None:
    if node.epmd is not None and node.epmd.poll() is None:
        return
    if port_in_use(node.epmd_port, node.host):
        return  # an epmd already serves this port (shared by project nodes): use it
    epmd = shutil.which("epmd") or "/usr/bin/epmd"
    node.epmd = subprocess.Popen(
        [epmd, "-port", str(node.epmd_port), "-address", node.host],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not port_in_use(node.epmd_port, node.host):
        time.sleep(0.02)


def amqp_ready(host: str, port: int) -> bool:
    """True when the broker answers the AMQP 0-9-1 header with a Connection.Start frame."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            sock.settimeout(2.0)
            sock.sendall(AMQP_HEADER)
            frame = sock.recv(7)
    except OSError:
        return False
    return len(frame) == 7 and frame[0] == 1  # method frame on channel 0


def failure_reason(node: RabbitNode, limit: int = 300) -> str:
    """The most telling recent log line, for a one-line error."""
    lines = [ln for ln in tail(node, 40) if not ln.startswith("Crash dump is being written")]
    lines = [ln for ln in lines if not re.fullmatch(r"\S+ \S+ \[\w+\] <[\d.]+>", ln)]
    telling = [ln for ln in lines if re.search(r"Kernel pid terminated|ERROR|\[error\]|failed", ln)]
    line = (telling or lines or ["no log output"])[-1]
    return line if len(line) <= limit else line[: limit - 3] + "..."


def tail(node: RabbitNode, lines: int = 20) -> list[str]:
    found: list[str] = []
    for path in (node.log_file, node.console_file):
        with contextlib.suppress(OSError):
            text = path.read_text(errors="replace").splitlines()
            found.extend(line.strip() for line in text if line.strip())
    return found[-lines:]


def _ctl(node: RabbitNode, *args: str, timeout: float = 30.0) -> bool:
    try:
        result = subprocess.run(
            [str(SBIN / "rabbitmqctl"), "-n", node.node, *args],
            env=node.env(),
            cwd=node.data_dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def stop(node: RabbitNode, *, timeout: float = 30.0, keep_epmd: bool = False) -> None:
    """Graceful stop (``rabbitmqctl stop``), SIGTERM/SIGKILL as fallbacks."""
    proc = node.proc
    if proc is not None and proc.poll() is None:
        _ctl(node, "stop", timeout=timeout)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill(node)
    _reap_group(proc)
    node.proc = None
    if not keep_epmd:
        _stop_epmd(node)


def kill(node: RabbitNode) -> None:
    """SIGKILL the broker (and its erl children): a crash, for fault tests. epmd stays."""
    proc = node.proc
    if proc is None:
        return
    _signal_group(proc, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    _reap_group(proc)
    node.proc = None


def restart(node: RabbitNode, *, timeout: float = 60.0) -> None:
    stop(node, keep_epmd=True)
    launch(node, timeout=timeout)


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _reap_group(proc: subprocess.Popen[bytes] | None) -> None:
    """Make sure nothing of the node's process group lingers (beam, inet_gethost)."""
    if proc is None:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.05)
    _signal_group(proc, signal.SIGKILL)


def _stop_epmd(node: RabbitNode) -> None:
    if node.epmd is not None and node.epmd.poll() is None:
        node.epmd.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.epmd.wait(timeout=5)
    node.epmd = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_dev.rabbit")
    parser.add_argument("--port", type=int, default=int(os.environ.get("AMQP_PORT", DEFAULT_PORT)))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    began = time.monotonic()
    try:
        node = start(args.data, args.port)
    except RabbitError as exc:
        print(f"rabbitmq: {exc}", file=sys.stderr)
        if exc.log_tail:
            print("last log lines:", *exc.log_tail, sep="\n  ", file=sys.stderr)
        return 1
    print(f"rabbitmq ready on {node.url} ({time.monotonic() - began:.1f}s)", flush=True)
    while not stopped.wait(0.5):
        if not node.running:
            print(f"rabbitmq exited: {failure_reason(node)}", file=sys.stderr)
            stop(node)
            return 1
    stop(node)
    print("rabbitmq stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
