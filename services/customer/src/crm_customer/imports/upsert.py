"""Which stored customer an UPSERT import row addresses: by id, or by the match key of its
phone, email, identity number or credit code (made the way stored customers' keys are made,
blind indexes included), for a whole batch in at most two queries."""

from __future__ import annotations

from dataclasses import dataclass, replace

from crm_customer.customers.model import Customer
from crm_customer.customers.queries import CustomerQueries
from crm_customer.customers.validators import (
    normalize_email,
    normalize_id_card,
    normalize_phone,
    normalize_uscc,
)
from crm_customer.customers.values import CustomerKind, LifecycleStage
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.imports.model import UPSERT_COLUMN, Job, UpsertKey
from crm_kit.events import utcnow
from crm_kit.imports.cells import split_list
from crm_kit.imports.model import ImportMode, RowProblem

KEY_PREFIX = {"PHONE": "phone:", "EMAIL": "email:", "ID_CARD": "idcard:", "USCC": "uscc:"}
EXACT_PREFIXES = tuple(KEY_PREFIX.values())  # the keys of the rules that refuse a create


type Target = Customer | RowProblem | None  # None: the row creates a customer


def upserting(job: Job) -> bool:
    return job.mode is ImportMode.UPSERT and job.upsert_key is not None


@dataclass(frozen=True, slots=True)
class UpsertTargets:
    queries: CustomerQueries
    duplicates: DuplicateDetector

    async def of_row(self, job: Job, cells: dict[str, str]) -> Target:
        return (await self.of_rows(job, [cells]))[0]

    async def of_rows(self, job: Job, rows: list[dict[str, str]]) -> list[Target]:
        """Each UPSERT row's existing customer (None: create one; a RowProblem: the row
        fails), for the whole batch in at most two queries."""
        key = job.upsert_key
        assert key is not None
        column = UPSERT_COLUMN[key]
        values = [self.value_of(key, cells) for cells in rows]
        if key is UpsertKey.ID:
            found = await self.queries.get_many([v for v in values if v])
            return [
                None if not v else found.get(v) or RowProblem("id", "NOT_FOUND") for v in values
            ]
        holders = await self.duplicates.store.key_holders({v for v in values if v})
        found = await self.queries.get_many(
            sorted({ids[0] for ids in holders.values() if len(ids) == 1})
        )
        out: list[Target] = []
        for v in values:
            ids = holders.get(v, []) if v else []  # no key, or an invalid value: a create
            out.append(RowProblem(column, "AMBIGUOUS_KEY") if len(ids) > 1 else None)
            if len(ids) == 1:
                out[-1] = found.get(ids[0])
        return out

    def value_of(self, key: UpsertKey, cells: dict[str, str]) -> str | None:
        """The registry key (or id) an UPSERT row addresses its customer by, if any."""
        raw = cells.get(UPSERT_COLUMN[key], "").strip()
        if not raw:
            return None
        return raw if key is UpsertKey.ID else self._match_key(key, raw)

    def _match_key(self, key: UpsertKey, raw: str) -> str | None:
        """The registry key of one value, made the way stored customers' keys are made (a
        probe record through the document mapping, blind indexes included)."""
        now = utcnow()
        probe = Customer(
            id="probe", kind=CustomerKind.INDIVIDUAL, name="", stage=LifecycleStage.LEAD,
            created_at=now, updated_at=now, created_by="", updated_by="",
        )  # fmt: skip
        first = split_list(raw)[0] if split_list(raw) else raw
        if key is UpsertKey.PHONE:
            phone = normalize_phone(first)
            probe = replace(probe, phones=[phone]) if phone else probe
        elif key is UpsertKey.EMAIL:
            email = normalize_email(first)
            probe = replace(probe, emails=[email]) if email else probe
        elif key is UpsertKey.ID_CARD:
            probe = replace(probe, id_card_number=normalize_id_card(raw))
        else:
            probe = replace(probe, kind=CustomerKind.ENTERPRISE, uscc=normalize_uscc(raw))
        keys = [k for k in self.duplicates.keys_of(probe) if k.startswith(KEY_PREFIX[key])]
        return keys[0] if keys else None
