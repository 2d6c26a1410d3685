"""The whole system as real processes for fault injection: the four services (customer,
interaction, notification, sales) and the gateway, each `python -m <module>` with its own
port, database and log file, on the session's MongoDB and RabbitMQ. Processes can be
SIGKILLed, stopped and restarted."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import free_port, unique

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Proc:
    name: str
    module: str
    port: int
    env: dict[str, str]
    log_file: Path
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> None:
        with self.log_file.open("ab") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env=self.env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL: a crash, nothing is flushed or acknowledged."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM: graceful shutdown."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Seconds until /readyz answered 200."""
        began = time.monotonic()
        while not self.ready():
            if self.popen is not None and self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.tail()}")
            if time.monotonic() - began > timeout:
                raise TimeoutError(f"{self.name} not ready after {timeout}s: {self.tail()}")
            time.sleep(0.1)
        return time.monotonic() - began

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"


@dataclass
class System:
    mongodb_uris: dict[str, str]  # per service: each owns its database (and here its server)
    amqp_url: str
    exchange: str
    databases: dict[str, str]
    procs: dict[str, Proc]

    @property
    def gateway(self) -> str:
        return f"{self.procs['gateway'].base}/graphql"

    def start(self) -> None:
        for name in SERVICES:
            self.procs[name].start()
        for name in SERVICES:
            self.procs[name].wait_ready()
        self.procs["gateway"].start()
        self.procs["gateway"].wait_ready()

    def close(self) -> None:
        for proc in reversed(self.procs.values()):
            proc.stop(timeout=10)


SERVICES = {
    "customer": "crm_customer",
    "interaction": "crm_interaction",
    "notification": "crm_notification",
    "sales": "crm_sales",
}
# The sales service's own settings: a deal write waits this long for its customer to reach the
# sales projection (the scenarios open deals only for customers it already knows).
SALES_ENV = {"SALES_CUSTOMER_WAIT_SECONDS": "15"}


def build_system(mongodb_uris: dict[str, str], amqp_url: str, log_dir: Path) -> System:
    """Environment for every process: unique exchange and databases, fast relay and retries.

    `mongodb_uris` maps each service to its MongoDB (the same URI for all is fine)."""
    exchange = unique("crm.events.faults")
    common = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CUSTOMER_", "INTERACTION_", "NOTIFICATION_", "SALES_", "GATEWAY_"))
    }
    common |= {
        "AMQP_URL": amqp_url,
        "EVENTS_EXCHANGE": exchange,
        "OUTBOX_POLL_SECONDS": "0.5",
        "OUTBOX_LEASE_SECONDS": "6",
        "CONSUMER_MAX_ATTEMPTS": "3",
        "CONSUMER_RETRY_DELAY_MS": "200",
        "CONSUMER_HANDLER_TIMEOUT_SECONDS": "20",
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    procs: dict[str, Proc] = {}
    databases: dict[str, str] = {}
    for name, module in SERVICES.items():
        port = free_port()
        databases[name] = unique(f"faults_{name}")
        env = common | {
            "MONGODB_URI": mongodb_uris[name],
            f"{name.upper()}_PORT": str(port),
            f"{name.upper()}_MONGODB_DATABASE": databases[name],
        }
        if name == "sales":
            env |= SALES_ENV
        procs[name] = Proc(name, module, port, env, log_dir / f"{name}.log")
    subgraphs = ",".join(f"{n}={procs[n].base}/graphql" for n in SERVICES)
    gateway_port = free_port()
    procs["gateway"] = Proc(
        "gateway",
        "crm_gateway",
        gateway_port,
        common
        | {
            "GATEWAY_PORT": str(gateway_port),
            "GATEWAY_SUBGRAPHS": subgraphs,
            "GATEWAY_SUBGRAPH_TIMEOUT_SECONDS": "5",
            "LOG_LEVEL": "WARNING",
        },
        log_dir / "gateway.log",
    )
    return System(dict(mongodb_uris), amqp_url, exchange, databases, procs)
