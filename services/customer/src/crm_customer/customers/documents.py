"""Customer ↔ MongoDB document mapping. The ID-card number and the contact data (phones,
emails, WeChat id, addresses, contact persons) are stored only encrypted, next to their blind
indexes; derived fields (region, name key, search terms) are written for the indexes."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from crm_customer.catalog.field_values import terms as custom_terms
from crm_customer.customers.model import Customer
from crm_customer.customers.search import customer_terms
from crm_customer.customers.values import (
    Address,
    CompanySize,
    ContactPerson,
    CustomerKind,
    Gender,
    LifecycleStage,
    Source,
)
from crm_customer.protection.crypto import DataProtector
from crm_kit.mongo import Document

_COMPANY_SUFFIXES = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团|公司|co\.?,?\s*ltd\.?|ltd\.?|inc\.?|llc|corp\.?|gmbh)$"
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def name_key(name: str) -> str:
    """Normalised name for 'similar name in the same region': case, spaces, punctuation and
    common company suffixes do not matter."""
    lowered = name.lower().strip()
    stripped = _COMPANY_SUFFIXES.sub("", lowered).strip()
    return _NOT_WORD.sub("", stripped or lowered)


def id_card_index(protector: DataProtector, number: str) -> str:
    return protector.blind_index("id_card", number)


def _all_phones(customer: Customer) -> list[str]:
    return [*customer.phones, *(p for c in customer.contacts for p in c.phones)]


def _all_emails(customer: Customer) -> list[str]:
    return [*customer.emails, *(e for c in customer.contacts for e in c.emails)]


def search_terms(customer: Customer, protector: DataProtector) -> list[str]:
    """The free-text search tokens of a record: its and its contacts' names, phones and
    e-mails (phone and e-mail tokens sealed)."""
    names = [customer.name, *(c.name for c in customer.contacts)]
    return customer_terms(
        names, _all_phones(customer), _all_emails(customer), protector.search_token
    )


def to_document(customer: Customer, protector: DataProtector) -> Document:
    phones = _all_phones(customer)
    emails = _all_emails(customer)
    number = customer.id_card_number
    return {
        "_id": customer.id,
        "kind": str(customer.kind),
        "name": customer.name,
        "stage": str(customer.stage),
        "tier": customer.tier,
        "tags": customer.tags,
        "pii_enc": protector.seal_json(contact_data(customer), customer.id),
        "source": str(customer.source) if customer.source else None,
        "source_detail": customer.source_detail,
        "referrer": customer.referrer,
        "owner_id": customer.owner_id,
        "team": customer.team,
        "version": customer.version,
        "archived": customer.archived,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "created_by": customer.created_by,
        "updated_by": customer.updated_by,
        "gender": str(customer.gender) if customer.gender else None,
        "birthday": customer.birthday.isoformat() if customer.birthday else None,
        "id_card_enc": protector.encrypt(number, customer.id) if number else None,
        "id_card_bidx": id_card_index(protector, number) if number else None,
        "uscc": customer.uscc,
        "industry": customer.industry,
        "company_size": str(customer.company_size) if customer.company_size else None,
        "website": customer.website,
        "merged_into": customer.merged_into,
        "erased": customer.erased,
        "custom_fields": customer.custom_fields,
        # derived, for the indexes
        "region": customer.region,
        "name_key": name_key(customer.name),
        "contact_phones": sorted({protector.phone_index(p) for p in phones}),
        "contact_emails": sorted({protector.email_index(e) for e in emails}),
        "search_terms": search_terms(customer, protector),
        "custom_terms": custom_terms(customer.custom_fields),
    }


def contact_data(customer: Customer) -> dict[str, Any]:
    """The personal contact data, stored only sealed (``pii_enc``)."""
    return {
        "phones": customer.phones,
        "emails": customer.emails,
        "wechat_id": customer.wechat_id,
        "addresses": [address_doc(a) for a in customer.addresses],
        "contacts": [contact_doc(c) for c in customer.contacts],
    }


# History changes of these fields hold contact data: stored sealed like the record itself.
SEALED_FIELDS = frozenset({"phones", "emails", "wechat_id", "addresses", "contacts"})


def change_doc(
    protector: DataProtector, customer_id: str, field: str, before: Any, after: Any
) -> Document:
    if field in SEALED_FIELDS:
        return {"field": field, "sealed": protector.seal_json([before, after], customer_id)}
    return {"field": field, "before": before, "after": after}


def change_values(protector: DataProtector, customer_id: str, doc: Document) -> tuple[Any, Any]:
    if "sealed" in doc:
        before, after = protector.open_json(doc["sealed"], customer_id)
        return before, after
    return doc.get("before"), doc.get("after")


def _contact_fields(doc: Document, protector: DataProtector) -> Document:
    """Sealed contact data, or the plaintext fields of a record written before encryption."""
    sealed = doc.get("pii_enc")
    return protector.open_json(sealed, doc["_id"]) if sealed else doc


def address_doc(a: Address) -> dict[str, str]:
    return {
        "province": a.province,
        "city": a.city,
        "district": a.district,
        "street": a.street,
        "postal_code": a.postal_code,
    }


def contact_doc(c: ContactPerson) -> dict[str, Any]:
    return {
        "name": c.name,
        "title": c.title,
        "phones": c.phones,
        "emails": c.emails,
        "primary": c.primary,
    }


def _enum[E](cls: type[E], value: Any) -> E | None:
    return cls(value) if value else None  # type: ignore[call-arg]


def from_document(doc: Document, protector: DataProtector) -> Customer:
    enc = doc.get("id_card_enc")
    pii = _contact_fields(doc, protector)
    return Customer(
        id=doc["_id"],
        kind=CustomerKind(doc["kind"]),
        name=doc["name"],
        stage=LifecycleStage(doc["stage"]),
        tier=doc.get("tier"),
        tags=list(doc.get("tags") or []),
        phones=list(pii.get("phones") or []),
        emails=list(pii.get("emails") or []),
        source=_enum(Source, doc.get("source")),
        source_detail=doc.get("source_detail"),
        referrer=doc.get("referrer"),
        owner_id=doc.get("owner_id"),
        team=doc.get("team"),
        version=int(doc.get("version", 1)),
        archived=bool(doc.get("archived", False)),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        created_by=doc.get("created_by", ""),
        updated_by=doc.get("updated_by", ""),
        gender=_enum(Gender, doc.get("gender")),
        birthday=date.fromisoformat(doc["birthday"]) if doc.get("birthday") else None,
        id_card_number=protector.decrypt(enc, doc["_id"]) if enc else None,
        wechat_id=pii.get("wechat_id"),
        addresses=[Address(**a) for a in pii.get("addresses") or []],
        uscc=doc.get("uscc"),
        industry=doc.get("industry"),
        company_size=_enum(CompanySize, doc.get("company_size")),
        website=doc.get("website"),
        contacts=[ContactPerson(**c) for c in pii.get("contacts") or []],
        merged_into=doc.get("merged_into"),
        erased=bool(doc.get("erased", False)),
        custom_fields=dict(doc.get("custom_fields") or {}),
    )
