"""A local SMTP sink for development and tests: accepts every mail, keeps it, delivers none.

    python -m crm_dev.smtp_sink --port 1025 --dir .data/mail

`make run` starts it (unless SMTP_HOST is set) and points the services at it; each mail is
logged in one line and written to `<dir>/<time>-<n>.eml`. Tests run `SmtpSink` in-process and
read `sink.messages`.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import signal
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

DEFAULT_PORT = 1025


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    def header(self, name: str) -> str | None:
        value = self.message.get(name)
        return None if value is None else str(value)

    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return "" if body is None else str(body.get_content())


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if not raw and isinstance(envelope.content, bytes):
            raw = envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        mail = ReceivedMail(
            mail_from=str(envelope.mail_from or ""),
            rcpt_tos=tuple(str(r) for r in envelope.rcpt_tos),
            message=message,
            raw=raw,
        )
        await self._sink.arrived(mail)
        return "250 Message accepted for delivery"


class SmtpSink:
    """In-process SMTP server on the running event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, directory: Path | None = None):
        self.host = host
        self.port = port
        self.directory = directory
        self.messages: list[ReceivedMail] = []
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Condition()
        self._count = 0

    async def start(self) -> SmtpSink:
        loop = asyncio.get_running_loop()
        handler = _Handler(self)
        self._server = await loop.create_server(
            lambda: SMTP(handler, hostname="crm-smtp-sink", enable_SMTPUTF8=True),
            host=self.host,
            port=self.port,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SmtpSink:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def arrived(self, mail: ReceivedMail) -> None:
        self.messages.append(mail)
        self._count += 1
        print(
            f"mail from {mail.mail_from} to {', '.join(mail.rcpt_tos)}: {mail.subject}",
            flush=True,
        )
        if self.directory is not None:
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{self._count:05d}.eml"
            (self.directory / name).write_bytes(mail.raw)
        async with self._arrived:
            self._arrived.notify_all()

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.messages if address in m.rcpt_tos]

    async def wait_for(self, count: int, address: str | None = None, timeout: float = 10.0) -> Any:
        """Wait until at least `count` mails (to `address`, if given) arrived; returns them."""

        def have() -> list[ReceivedMail]:
            return self.to(address) if address else list(self.messages)

        async def until() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(have()) >= count)

        await asyncio.wait_for(until(), timeout)
        return have()


async def _serve(host: str, port: int, directory: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with SmtpSink(host, port, directory) as sink:
        print(f"smtp sink listening on {host}:{sink.port}; mails go to {directory}/", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m crm_dev.smtp_sink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--dir", type=Path, default=Path(".data") / "mail")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.host, args.port, args.dir))


if __name__ == "__main__":
    main()
