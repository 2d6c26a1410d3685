"""The per-scenario figures the fault suite measures, printed and written to
docs/reliability.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


@dataclass
class ScenarioResult:
    number: int
    name: str
    attempted: int
    acknowledged: int
    found: int
    lost: int
    duplicated: int
    recovery_seconds: float | None
    notes: str = ""
    part: str = ""  # a second row of the same scenario ("b": its sales writes)

    @property
    def key(self) -> tuple[int, str]:
        return self.number, self.part


RESULTS: dict[tuple[int, str], ScenarioResult] = {}


def record(result: ScenarioResult) -> None:
    RESULTS[result.key] = result


def _row(r: ScenarioResult) -> str:
    recovery = "—" if r.recovery_seconds is None else f"{r.recovery_seconds:.1f} s"
    return (
        f"| {r.number}{r.part} | {r.name} | {r.attempted} | {r.acknowledged} | {r.found} "
        f"| {r.lost} | {r.duplicated} | {recovery} | {r.notes} |"
    )


HEAD = (
    "| # | scenario | attempted | acknowledged | found afterwards | lost | duplicated "
    "| recovery time | notes |\n|---|---|---|---|---|---|---|---|---|\n"
)


def table(results: list[ScenarioResult]) -> str:
    return HEAD + "\n".join(_row(r) for r in sorted(results, key=lambda r: r.key)) + "\n"


PREAMBLE = """# Reliability under faults

Measured by the fault-injection suite `tests/faults/` (`make test-faults`). Every scenario runs
the four services (customer, interaction, notification, sales) and the gateway as real
processes on the embedded MongoDB (mongoeco; one server per service, as each service owns its
database) and a project-local RabbitMQ, injects the fault by killing or stopping a real
process, and then counts what exists. *attempted*: operations the clients started;
*acknowledged*: operations the system confirmed; *found afterwards*: confirmed operations whose
effect was found where it must be; *lost* = acknowledged − found; *duplicated*: effects found
more than once. *Recovery time*: from the end of the fault (process back) until every effect is
visible (scenario-specific, see notes). Rows are replaced by each run of their scenario (a
partial run keeps the other rows); a row *b* is the same scenario's sales writes (deals opened
and won), counted on their own.

Clients retry writes with the same `idempotencyKey` (createCustomer, createOpportunity,
logInteraction, createTicket, createTask, addTicketComment, createWebhookSubscription;
recordPurchase is keyed by its source order id): a retry returns the first result and creates
nothing; the same key with a different request is a `CONFLICT` naming the first result.
Moving a deal to won is retried with the `expectedVersion` it was opened at: after an attempt
that did commit, the retry is a `CONFLICT`, and the client reads the deal back (WON).

The embedded server's transaction gate
(`tools/crm_dev/src/crm_dev/mongo/patches/transaction_gate.py`) behaves like MongoDB where it
matters here: a killed client's open transaction is aborted (when its connections close, or
after `MONGOECO_TRANSACTION_LIFETIME_SECONDS`, default 60 like
`transactionLifetimeLimitSeconds`), and later commands of that transaction get
`NoSuchTransaction` with the `TransientTransactionError` label.
"""


def write_doc(results: list[ScenarioResult]) -> None:
    """Write the table, keeping rows of scenarios this run did not execute."""
    rows: dict[tuple[int, str], str] = {}
    if DOC.exists():
        for line in DOC.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^\| (\d+)([a-z]?) \|", line)
            if match:
                rows[int(match.group(1)), match.group(2)] = line
    for r in results:
        rows[r.key] = _row(r)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    body = HEAD + "\n".join(rows[n] for n in sorted(rows)) + "\n"
    DOC.write_text(f"{PREAMBLE}\nLast updated: {stamp}.\n\n{body}", encoding="utf-8")
