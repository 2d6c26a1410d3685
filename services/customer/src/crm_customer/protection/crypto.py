"""Field encryption for personal data: AES-256-GCM with a key ring, plus HMAC blind indexes.

Encrypted: the ID-card number (``id_card_enc``) and the contact data — phones, emails, WeChat
id, addresses and contact persons — as one sealed JSON object (``pii_enc``). Equality lookups
and duplicate detection use blind indexes (``id_card_bidx``, ``contact_phones`` and
``contact_emails`` hold HMACs), and free-text search over phones and emails uses HMAC'd search
tokens, so no phone number, email address or identity number is stored in plaintext.

Stored form: ``"<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>"``; the customer id is the
associated data, so a value copied onto another record does not decrypt. The blind index is
HMAC-SHA256 under a separate key, so equality and duplicate checks never need the plaintext.

Settings: ``CUSTOMER_DATA_KEYS`` (or ``CUSTOMER_DATA_KEYS_FILE``) = ``kid:base64key[,kid:key…]``
(32-byte keys; the first one encrypts, all decrypt) and ``CUSTOMER_BLIND_INDEX_KEY`` (or
``_FILE``, base64, ≥ 32 bytes). Unset, a development key ring is used whose key id
``dev-insecure`` marks every value it wrote.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crm_kit.settings import refuse_in_production

DEV_KEY_ID = "dev-insecure"
# Development only: public, never protects real data. Production sets CUSTOMER_DATA_KEYS.
DEV_DATA_KEY = base64.b64encode(hashlib.sha256(b"crm-dev-data-key-DO-NOT-USE").digest()).decode()
DEV_BLIND_INDEX_KEY = base64.b64encode(
    hashlib.sha256(b"crm-dev-blind-index-key-DO-NOT-USE").digest()
).decode()


class KeyConfigError(ValueError):
    """The key settings are malformed (raised at start-up, never to a client)."""


class DecryptionError(ValueError):
    """A stored value could not be decrypted (unknown key id, tampering or wrong record)."""


def _secret(name: str) -> str:
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, "")


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_")
    except ValueError as exc:
        raise KeyConfigError("key is not base64") from exc


@dataclass(frozen=True, slots=True)
class DataProtector:
    keys: dict[str, bytes]
    current_key_id: str
    blind_index_key: bytes

    @classmethod
    def from_config(cls, data_keys: str, blind_index_key: str) -> DataProtector:
        ring: dict[str, bytes] = {}
        first = ""
        for item in data_keys.split(","):
            kid, sep, raw = item.strip().partition(":")
            if not sep or not kid:
                raise KeyConfigError("CUSTOMER_DATA_KEYS entries are 'kid:base64key'")
            key = _b64(raw.replace("+", "-").replace("/", "_"))
            if len(key) != 32:
                raise KeyConfigError(f"data key {kid} must be 32 bytes (AES-256)")
            ring[kid] = key
            first = first or kid
        bidx = _b64(blind_index_key.replace("+", "-").replace("/", "_"))
        if len(bidx) < 32:
            raise KeyConfigError("CUSTOMER_BLIND_INDEX_KEY must be at least 32 bytes")
        return cls(ring, first, bidx)

    @classmethod
    def from_env(cls) -> DataProtector:
        """The key ring from settings; in production mode (CRM_ENV=production) missing or
        development keys refuse start-up."""
        keys = _secret("CUSTOMER_DATA_KEYS")
        bidx = _secret("CUSTOMER_BLIND_INDEX_KEY")
        protector = cls.from_config(
            keys or f"{DEV_KEY_ID}:{DEV_DATA_KEY}", bidx or DEV_BLIND_INDEX_KEY
        )
        problems = []
        if not keys or DEV_KEY_ID in protector.keys or DEV_DATA_KEY in keys:
            problems.append("CUSTOMER_DATA_KEYS is missing or holds the development key")
        if not bidx or protector.blind_index_key == _b64(DEV_BLIND_INDEX_KEY):
            problems.append("CUSTOMER_BLIND_INDEX_KEY is missing or the development key")
        refuse_in_production(problems)
        return protector

    @property
    def is_development(self) -> bool:
        return self.current_key_id == DEV_KEY_ID

    def encrypt(self, plaintext: str, record_id: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current_key_id]).encrypt(
            nonce, plaintext.encode(), record_id.encode()
        )
        token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{self.current_key_id}:{token}"

    def decrypt(self, stored: str, record_id: str) -> str:
        kid, _, token = stored.partition(":")
        key = self.keys.get(kid)
        if key is None:
            raise DecryptionError(f"unknown key id {kid!r}")
        raw = _b64(token)
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], record_id.encode()).decode()
        except Exception as exc:
            raise DecryptionError("value does not decrypt for this record") from exc

    def key_id_of(self, stored: str) -> str:
        return stored.partition(":")[0]

    def blind_index(self, kind: str, normalised: str) -> str:
        """Deterministic keyed hash: equal inputs give equal indexes, nothing else leaks."""
        message = f"{kind}:{normalised}".encode()
        return hmac.new(self.blind_index_key, message, hashlib.sha256).hexdigest()

    def needs_rotation(self, stored: str | None) -> bool:
        """A value written under another key than the current one."""
        return stored is not None and self.key_id_of(stored) != self.current_key_id

    def seal_json(self, value: Any, record_id: str) -> str:
        """Encrypt a JSON-safe value (the record id is the associated data)."""
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return self.encrypt(text, record_id)

    def open_json(self, stored: str, record_id: str) -> Any:
        return json.loads(self.decrypt(stored, record_id))

    def phone_index(self, e164: str) -> str:
        return self.blind_index("phone", e164)

    def email_index(self, email: str) -> str:
        return self.blind_index("email", email.lower())

    def search_token(self, term: str) -> str:
        """A free-text search token for a sensitive value (phone digits, email parts): keyed,
        so the stored token list reveals nothing without the blind-index key."""
        return "#" + self.blind_index("term", term)[:24]
