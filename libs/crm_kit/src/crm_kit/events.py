"""CloudEvents 1.0 envelope (structured JSON) used on the `crm.events` exchange."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from crm_kit.errors import BadUserInput

SPEC_VERSION = "1.0"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class CloudEvent:
    type: str
    source: str
    subject: str
    data: dict[str, Any]
    id: str = field(default_factory=new_id)
    time: datetime = field(default_factory=utcnow)
    traceparent: str = ""
    datacontenttype: str = "application/json"

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "specversion": SPEC_VERSION,
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "subject": self.subject,
            "time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "datacontenttype": self.datacontenttype,
            "data": self.data,
        }
        if self.traceparent:
            doc["traceparent"] = self.traceparent
        return doc

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> CloudEvent:
        missing = [k for k in ("specversion", "id", "type", "source") if not doc.get(k)]
        if missing:
            raise BadUserInput.single(missing[0], "REQUIRED", f"CloudEvent lacks {missing[0]}")
        if doc["specversion"] != SPEC_VERSION:
            raise BadUserInput.single("specversion", "UNSUPPORTED", "Only CloudEvents 1.0")
        raw_time = doc.get("time")
        time = (
            datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
            if isinstance(raw_time, str)
            else utcnow()
        )
        data = doc.get("data") or {}
        if not isinstance(data, dict):
            raise BadUserInput.single("data", "INVALID", "CloudEvent data must be an object")
        return cls(
            type=str(doc["type"]),
            source=str(doc["source"]),
            subject=str(doc.get("subject") or ""),
            data=data,
            id=str(doc["id"]),
            time=time,
            traceparent=str(doc.get("traceparent") or ""),
            datacontenttype=str(doc.get("datacontenttype") or "application/json"),
        )

    @classmethod
    def from_json(cls, body: bytes) -> CloudEvent:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadUserInput.single("body", "INVALID_JSON", "Message is not JSON") from exc
        if not isinstance(doc, dict):
            raise BadUserInput.single("body", "INVALID", "Message is not a JSON object")
        return cls.from_dict(doc)
