"""Infrastructure handles used by the pytest fixtures in tests/conftest.py."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from crm_dev import rabbit
from crm_dev.mongo import uri_for
from crm_dev.ports import free_port


class InfraError(RuntimeError):
    """Embedded infrastructure could not be started; one-line message."""


@dataclass
class MongoServer:
    """The embedded mongoeco wire server in a subprocess (``python -m crm_dev.mongo``)."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def uri(self) -> str:
        return uri_for(self.port)

    @property
    def log_file(self) -> Path:
        return self.data_dir / "mongo.log"

    def start(self, timeout: float = 30.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "crm_dev.mongo", "--port", str(self.port)]
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                [*cmd, "--data", str(self.data_dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise InfraError(f"embedded MongoDB exited: {self._last_line()}")
            if "mongoeco ready" in self.log_file.read_text(errors="replace"):
                return
            time.sleep(0.05)
        self.stop()
        raise InfraError(f"embedded MongoDB not ready after {timeout:.0f}s: {self._last_line()}")

    def stop(self, timeout: float = 15.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        # truncate the log so the readiness marker of the previous run is not matched
        with contextlib.suppress(OSError):
            self.log_file.write_text("")
        self.start()

    def _last_line(self) -> str:
        with contextlib.suppress(OSError):
            lines = [ln for ln in self.log_file.read_text(errors="replace").splitlines() if ln]
            if lines:
                return lines[-1]
        return "no output"


@dataclass
class Broker:
    """A project-local RabbitMQ node for one test session, or an external broker."""

    url: str
    node: rabbit.RabbitNode | None = None
    start_seconds: float = 0.0

    @classmethod
    def embedded(cls, data_dir: Path, *, timeout: float = 60.0) -> Broker:
        port = free_port()
        node = rabbit.make_node(
            data_dir,
            port,
            node=f"crm-test-{port}@localhost",
            dist_port=free_port(),
            epmd_port=free_port(),
        )
        began = time.monotonic()
        try:
            rabbit.launch(node, timeout=timeout)
        except rabbit.RabbitError as exc:
            rabbit.stop(node)
            raise InfraError(str(exc)) from None
        return cls(url=node.url, node=node, start_seconds=time.monotonic() - began)

    @property
    def embedded_node(self) -> rabbit.RabbitNode:
        if self.node is None:
            raise InfraError("AMQP_URL points at an external broker; it cannot be controlled")
        return self.node

    @property
    def running(self) -> bool:
        return self.node is None or self.node.running

    def stop(self) -> None:
        """Graceful stop; the data (durable queues, messages) survives."""
        rabbit.stop(self.embedded_node, keep_epmd=True)

    def start(self) -> None:
        rabbit.launch(self.embedded_node)

    def kill(self) -> None:
        """SIGKILL the broker: a crash."""
        rabbit.kill(self.embedded_node)

    def restart(self) -> None:
        rabbit.restart(self.embedded_node)

    def close(self) -> None:
        if self.node is not None:
            rabbit.stop(self.node)


@contextlib.contextmanager
def infrastructure(prefix: str) -> Iterator[tuple[str, str]]:
    """(MongoDB URI, AMQP URL) for a benchmark: `MONGODB_URI` / `AMQP_URL` when set, else an
    embedded MongoDB and a project-local broker in a temporary folder, stopped on exit."""
    mongodb_uri, amqp_url = os.environ.get("MONGODB_URI"), os.environ.get("AMQP_URL")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, contextlib.ExitStack() as stack:
        if not mongodb_uri:
            mongo = MongoServer(Path(tmp) / "mongo")
            mongo.start()
            stack.callback(mongo.stop)
            mongodb_uri = mongo.uri
        if not amqp_url:
            broker = Broker.embedded(Path(tmp) / "rabbitmq")
            stack.callback(broker.close)
            amqp_url = broker.url
        yield mongodb_uri, amqp_url
