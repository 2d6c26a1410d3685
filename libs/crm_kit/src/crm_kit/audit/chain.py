"""The audit record and its hash chain (pure: no I/O).

Each record carries the service's sequence number and the hash of the record before it;
its own hash is SHA-256 over the canonical JSON of every other field. Editing a record breaks
its hash, deleting one leaves a gap in the sequence and breaks the next record's `prev`, and
deleting the newest ones leaves the chain head (which names the last seq and hash) pointing
past the end.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crm_kit.personal import mask_email, mask_id_card, mask_phone

GENESIS = "0" * 64
SEQ_DIGITS = 12

_MASK_ALL = re.compile(r"(password|secret|token|key)", re.IGNORECASE)
_PHONE = re.compile(r"(phone|mobile|tel)", re.IGNORECASE)
_EMAIL = re.compile(r"email", re.IGNORECASE)
_IDNUM = re.compile(r"(id_?card|id_?number|identity)", re.IGNORECASE)
_HIDDEN = re.compile(r"(street|address|wechat|postal)", re.IGNORECASE)
_NAME = re.compile(r"name$", re.IGNORECASE)
_PLAIN_DIGITS = re.compile(r"\d{7,}")


def canonical(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(doc: Mapping[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def record_id(seq: int) -> str:
    return f"{seq:0{SEQ_DIGITS}d}"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _mask_phone(value: str) -> str:
    """The policy mask on the national number: a +86 mobile is logged as ``138****5678``."""
    digits = value.lstrip("+")
    return mask_phone(digits[2:] if digits.startswith("86") and len(digits) == 13 else digits)


def _mask_email(value: str) -> str:
    return mask_email(value) if "@" in value else "***"


def _mask_digit_run(value: str) -> str:
    """A free-text run of 7+ digits (phone, ID or account number): first 3 and last 4 stay."""
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def _hide(_text: str) -> str:
    return "***"


def _first_character(text: str) -> str:
    return text[:1] + "**" if text else text  # a person's name: tells records apart, no more


# By what the field name says it is, first match wins.
_BY_NAME: tuple[tuple[re.Pattern[str], Callable[[str], str]], ...] = (
    (_MASK_ALL, _hide),
    (_IDNUM, mask_id_card),
    (_PHONE, _mask_phone),
    (_EMAIL, _mask_email),
    (_HIDDEN, _hide),
    (_NAME, _first_character),
)


def _mask_scalar(name: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if "*" in text:
        return text  # already masked by the service
    for pattern, masker in _BY_NAME:
        if pattern.search(name):
            return masker(text)
    # A value of 7+ digits under any other name (a phone or ID typed into a note) is cut.
    return _PLAIN_DIGITS.sub(lambda m: _mask_digit_run(m.group()), text)


def mask(name: str, value: Any) -> Any:
    """Mask a value for the audit log by what its field name says it is; nested values too."""
    if isinstance(value, Mapping):
        return {str(k): mask(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(name, v) for v in value]
    return _mask_scalar(name, value)


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(slots=True)
class Entry:
    """What a caller records; the writer adds who/where/when and the chain fields."""

    action: str
    target_type: str = ""
    target_id: str = ""
    changes: list[Change] = field(default_factory=list)
    outcome: str = "OK"
    details: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None
    roles: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Who:
    """The caller and where the request came from (empty outside a request)."""

    actor: str = ""
    roles: tuple[str, ...] = ()
    request_id: str = ""
    client: str = ""


def body(entry: Entry, who: Who, service: str, at: datetime) -> dict[str, Any]:
    """The JSON-safe record body before chaining; sensitive values masked."""
    return {
        "service": service,
        "at": iso(at),
        "actor": entry.actor if entry.actor is not None else (who.actor or f"system:{service}"),
        "roles": sorted(entry.roles if entry.roles is not None else who.roles),
        "action": entry.action,
        "outcome": entry.outcome,
        "target": {"type": entry.target_type, "id": entry.target_id},
        "changes": [
            {"field": c.field, "before": mask(c.field, c.before), "after": mask(c.field, c.after)}
            for c in entry.changes
        ],
        "details": mask("details", entry.details),
        "request_id": who.request_id,
        "client": who.client,
    }


def chain(bodies: Iterable[dict[str, Any]], seq: int, prev: str) -> list[dict[str, Any]]:
    """Number and link record bodies after the head (`seq`, `prev`)."""
    out: list[dict[str, Any]] = []
    for item in bodies:
        seq += 1
        doc = {"_id": record_id(seq), "seq": seq, "prev": prev, **item}
        doc["hash"] = record_hash(doc)
        prev = doc["hash"]
        out.append(doc)
    return out


@dataclass(frozen=True, slots=True)
class Break:
    """The first broken link found by verification."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit chain broken at record {self.seq}: {self.reason}"


class Checker:
    """Walks records in seq order from a trusted point (genesis or a retention checkpoint) and
    stops at the first broken link."""

    def __init__(self, start_seq: int = 0, start_hash: str = GENESIS) -> None:
        self.seq = start_seq
        self.hash = start_hash
        self.checked = 0
        self.broken: Break | None = None

    def feed(self, doc: Mapping[str, Any]) -> bool:
        """Check the next record; False (and `broken` set) at the first bad link."""
        got = int(doc.get("seq", -1))
        if got != self.seq + 1:
            missing = self.seq + 1
            self.broken = Break(missing, f"record {missing} is missing (next found is {got})")
        elif doc.get("prev") != self.hash:
            self.broken = Break(got, "its link to the previous record does not match")
        elif doc.get("_id") != record_id(got) or record_hash(doc) != doc.get("hash"):
            self.broken = Break(got, "its content does not match its hash (edited)")
        else:
            self.seq, self.hash = got, str(doc["hash"])
            self.checked += 1
        return self.broken is None

    def finish(self, head_seq: int, head_hash: str) -> Break | None:
        """The head names the newest record: deleting the newest records is caught here."""
        if self.broken is None and head_seq > self.seq:
            self.broken = Break(
                self.seq + 1, f"records {self.seq + 1}..{head_seq} are missing (head is {head_seq})"
            )
        elif self.broken is None and (head_seq, head_hash) != (self.seq, self.hash):
            self.broken = Break(self.seq, "the chain head does not match the newest record")
        return self.broken
