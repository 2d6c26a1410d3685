"""Supervisor for ``make run`` (foreground), ``make up`` (background) and ``make down``.

    python -m crm_dev.run run     # foreground: prefixed logs, Ctrl-C stops everything
    python -m crm_dev.run up      # detached; returns once every /readyz is 200
    python -m crm_dev.run down

Embedded MongoDB and RabbitMQ start unless ``MONGODB_URI`` / ``AMQP_URL`` are set. Pid and
log files live under ``.data/run/``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from crm_dev import mongo, rabbit, smtp_sink
from crm_dev.ports import port_in_use, wait_port

DATA = Path(os.environ.get("CRM_DATA_DIR", ".data"))
RUN_DIR = DATA / "run"
SUPERVISOR_PID = RUN_DIR / "supervisor.pid"
SUPERVISOR_LOG = RUN_DIR / "supervisor.log"


class StartError(RuntimeError):
    """One-line reason why the system could not start."""


@dataclass
class Child:
    name: str
    module: str
    port: int
    port_var: str
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/readyz"

    @property
    def log_file(self) -> Path:
        return RUN_DIR / f"{self.name}.log"


def _port(var: str, default: int) -> int:
    return int(os.environ.get(var, default))


def services() -> list[Child]:
    return [
        Child("customer", "crm_customer", _port("CUSTOMER_PORT", 4001), "CUSTOMER_PORT"),
        Child(
            "interaction", "crm_interaction", _port("INTERACTION_PORT", 4002), "INTERACTION_PORT"
        ),
        Child(
            "notification",
            "crm_notification",
            _port("NOTIFICATION_PORT", 4003),
            "NOTIFICATION_PORT",
        ),
        Child("sales", "crm_sales", _port("SALES_PORT", 4004), "SALES_PORT"),
        Child("gateway", "crm_gateway", _port("GATEWAY_PORT", 4000), "GATEWAY_PORT"),
    ]


def gateway_url() -> str:
    return f"http://127.0.0.1:{_port('GATEWAY_PORT', 4000)}/graphql"


def log(message: str) -> None:
    print(f"{'run':>12} | {message}", flush=True)


def is_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def tail(path: Path, lines: int = 15) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


class Supervisor:
    def __init__(self, *, to_files: bool) -> None:
        self.to_files = to_files  # detached: each child logs to .data/run/<name>.log
        self.children = services()
        self.mongo: Child | None = None
        self.smtp: Child | None = None  # local SMTP sink unless SMTP_HOST is set
        self.broker: rabbit.RabbitNode | None = None
        self.env = dict(os.environ)
        self.stopping = threading.Event()

    # -- infrastructure -------------------------------------------------------------------
    def check_ports(self) -> None:
        wanted = [(c.port, c.port_var) for c in self.children]
        if not os.environ.get("MONGODB_URI"):
            wanted.append((_port("MONGO_PORT", mongo.DEFAULT_PORT), "MONGO_PORT or MONGODB_URI"))
        if not os.environ.get("AMQP_URL"):
            wanted.append((_port("AMQP_PORT", rabbit.DEFAULT_PORT), "AMQP_PORT or AMQP_URL"))
        if not os.environ.get("SMTP_HOST"):
            wanted.append((_port("SMTP_PORT", smtp_sink.DEFAULT_PORT), "SMTP_PORT or SMTP_HOST"))
        for port, var in wanted:
            if port_in_use(port):
                raise StartError(f"port {port} is already in use (set {var})")

    def start_mongo(self) -> str:
        port = _port("MONGO_PORT", mongo.DEFAULT_PORT)
        self.mongo = Child("mongo", "crm_dev.mongo", port, "MONGO_PORT")
        args = ["--port", str(port), "--data", str(DATA / "mongo")]
        self.spawn(self.mongo, args)
        deadline = time.monotonic() + 60
        while not wait_port(port, timeout=0.5):
            if self.mongo.proc is None or self.mongo.proc.poll() is not None:
                raise StartError(f"embedded MongoDB exited: {tail(self.mongo.log_file, 1)}")
            if time.monotonic() > deadline:
                raise StartError("embedded MongoDB not listening after 60s")
        return mongo.uri_for(port)

    def start_rabbit(self) -> str:
        port = _port("AMQP_PORT", rabbit.DEFAULT_PORT)
        self.broker = rabbit.make_node(DATA / "rabbitmq", port)
        try:
            rabbit.launch(self.broker, timeout=90)
        except rabbit.RabbitError as exc:
            details = "".join(f"\n  {line}" for line in exc.log_tail)
            raise StartError(f"{exc}{details}") from None
        return self.broker.url

    def start_infrastructure(self) -> None:
        jobs = {}
        with ThreadPoolExecutor(max_workers=2) as pool:
            if not os.environ.get("MONGODB_URI"):
                jobs["MONGODB_URI"] = pool.submit(self.start_mongo)
            if not os.environ.get("AMQP_URL"):
                jobs["AMQP_URL"] = pool.submit(self.start_rabbit)
            for var, job in jobs.items():
                self.env[var] = job.result()
                log(f"{var}={self.env[var]}")
        if not os.environ.get("SMTP_HOST"):
            self.start_smtp_sink()

    def start_smtp_sink(self) -> None:
        """Mails from the services land in .data/mail/*.eml (and one log line each)."""
        port = _port("SMTP_PORT", smtp_sink.DEFAULT_PORT)
        self.smtp = Child("smtp", "crm_dev.smtp_sink", port, "SMTP_PORT")
        self.spawn(self.smtp, ["--port", str(port), "--dir", str(DATA / "mail")])
        if not wait_port(port, timeout=30):
            raise StartError(f"SMTP sink not listening on {port}: {tail(self.smtp.log_file, 1)}")
        self.env |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)}
        log(f"SMTP sink on 127.0.0.1:{port}; mails in {DATA / 'mail'}")

    # -- children -------------------------------------------------------------------------
    def spawn(self, child: Child, args: list[str] | None = None) -> None:
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        out: IO[bytes] | int = child.log_file.open("ab") if self.to_files else subprocess.PIPE
        child.proc = subprocess.Popen(
            [sys.executable, "-m", child.module, *(args or [])],
            env=self.env | {child.port_var: str(child.port)},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops children
        )
        if not isinstance(out, int):
            out.close()
        else:
            threading.Thread(target=self._pump, args=(child,), daemon=True).start()
        (RUN_DIR / f"{child.name}.pid").write_text(f"{child.proc.pid}\n")

    def _pump(self, child: Child) -> None:
        assert child.proc is not None and child.proc.stdout is not None
        with child.log_file.open("ab") as keep:
            for raw in child.proc.stdout:
                keep.write(raw)
                keep.flush()
                line = raw.decode(errors="replace").rstrip()
                print(f"{child.name:>12} | {line}", flush=True)

    def wait_ready(self, group: list[Child], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(group)
        while pending:
            for child in list(pending):
                if child.proc is not None and child.proc.poll() is not None:
                    raise StartError(
                        f"{child.name} exited with code {child.proc.returncode}: "
                        f"{tail(child.log_file, 1)}"
                    )
                if is_ready(child.ready_url):
                    log(f"{child.name} ready on {child.ready_url}")
                    pending.remove(child)
            if pending and time.monotonic() > deadline:
                child = pending[0]
                raise StartError(
                    f"{child.name} not ready after {timeout:.0f}s ({child.ready_url});"
                    f" last lines of {child.log_file}:\n{tail(child.log_file)}"
                )
            if self.stopping.is_set():
                raise StartError("interrupted")
            time.sleep(0.2)

    def start(self, timeout: float) -> None:
        self.check_ports()
        self.start_infrastructure()
        subgraphs = [c for c in self.children if c.name != "gateway"]
        self.env.setdefault(
            "GATEWAY_SUBGRAPHS",
            ",".join(f"{c.name}=http://127.0.0.1:{c.port}/graphql" for c in subgraphs),
        )
        for child in subgraphs:
            self.spawn(child)
        self.wait_ready(subgraphs, timeout)
        self.spawn(self.children[-1])
        self.wait_ready(self.children[-1:], timeout)
        log(f"ready: gateway {gateway_url()}")

    def all_children(self) -> list[Child]:
        """Infrastructure first (MongoDB, the SMTP sink), then services and the gateway."""
        return [*(c for c in (self.mongo, self.smtp) if c is not None), *self.children]

    def stop(self) -> None:
        """Reverse order: gateway, services, MongoDB, RabbitMQ."""
        for child in reversed(self.all_children()):
            proc = child.proc
            if proc is not None and proc.poll() is None:
                log(f"stopping {child.name}")
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    log(f"{child.name} did not stop in 15s; killing it")
                    proc.kill()
                    proc.wait(timeout=5)
            with contextlib.suppress(OSError):
                (RUN_DIR / f"{child.name}.pid").unlink()
        if self.broker is not None:
            log("stopping rabbitmq")
            rabbit.stop(self.broker)

    def supervise(self) -> int:
        """Block until a signal or until a child exits on its own."""
        while not self.stopping.wait(0.5):
            for child in self.all_children():
                if child.proc is not None and child.proc.poll() is not None:
                    log(f"{child.name} exited with code {child.proc.returncode}; stopping all")
                    return 1
            if self.broker is not None and not self.broker.running:
                log(f"rabbitmq exited: {rabbit.failure_reason(self.broker)}; stopping all")
                return 1
        return 0


def run(*, to_files: bool, timeout: float) -> int:
    sup = Supervisor(to_files=to_files)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sup.stopping.set())
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    SUPERVISOR_PID.write_text(f"{os.getpid()}\n")
    code = 0
    try:
        sup.start(timeout)
        code = sup.supervise()
    except StartError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        sup.stop()
        with contextlib.suppress(OSError):
            SUPERVISOR_PID.unlink()
        log("stopped")
    return code


def running_pid() -> int | None:
    try:
        pid = int(SUPERVISOR_PID.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def up(timeout: float) -> int:
    if running_pid() is not None:
        print(f"already running: {gateway_url()} (make down to stop)")
        return 0
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    with SUPERVISOR_LOG.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crm_dev.run", "_serve", "--timeout", str(timeout)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    began = time.monotonic()
    while True:
        text = SUPERVISOR_LOG.read_text(errors="replace")
        if "ready: gateway" in text:
            print(f"up in {time.monotonic() - began:.1f}s; gateway: {gateway_url()}")
            print("logs: .data/run/*.log; stop with: make down")
            return 0
        if proc.poll() is not None:
            errors = [ln for ln in text.splitlines() if not ln.lstrip().startswith("run |")]
            print(*(errors or [tail(SUPERVISOR_LOG, 5)]), sep="\n", file=sys.stderr)
            return 1
        time.sleep(0.2)


def down(timeout: float = 60) -> int:
    pid = running_pid()
    if pid is None:
        print("not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while running_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    if running_pid() is not None:
        print(f"supervisor {pid} did not stop in {timeout:.0f}s; see {SUPERVISOR_LOG}")
        return 1
    print("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_dev.run")
    parser.add_argument(
        "command", choices=["run", "up", "down", "_serve"], nargs="?", default="run"
    )
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("UP_TIMEOUT", "120")))
    parser.add_argument("--detach", action="store_true", help="same as `up`")
    parser.add_argument("--stop", action="store_true", help="same as `down`")
    args = parser.parse_args(argv)
    if args.detach:
        args.command = "up"
    if args.stop:
        args.command = "down"
    if args.command == "up":
        return up(args.timeout)
    if args.command == "down":
        return down()
    if args.command == "run" and running_pid() is not None:
        print(
            f"already running in the background ({gateway_url()}); make down first", file=sys.stderr
        )
        return 1
    return run(to_files=args.command == "_serve", timeout=args.timeout)


if __name__ == "__main__":
    sys.exit(main())
