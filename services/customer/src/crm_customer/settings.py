"""The customer service's settings, all from environment variables (README lists them).

- crm_kit's service settings (`ServiceSettings`: database, broker, auth, limits); the
  subgraph listens on `CUSTOMER_PORT`, 4001 by default.
- Imports: `CUSTOMER_IMPORT_BATCH_ROWS` (rows per batch, default 50: one progress step, one
  lease renewal point) and `CUSTOMER_IMPORT_MAX_ROWS` (default 50,000 per file); the upload
  size limit is crm_kit's `UPLOAD_MAX_BYTES` (default 10 MB).
- Data protection: `CUSTOMER_DATA_KEYS` and `CUSTOMER_BLIND_INDEX_KEY` (or their `_FILE`
  variants), read by `protection.crypto.DataProtector.from_env`.
- Viewer: `CUSTOMER_DEFAULT_TIME_ZONE` (IANA name, default `Asia/Shanghai`), the `timeZone`
  of a caller whose token has no `zoneinfo` claim naming a known zone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from crm_customer.viewer.model import DEFAULT_TIME_ZONE, known_zone
from crm_kit.settings import ServiceSettings

DEFAULT_PORT = 4001


def service_settings() -> ServiceSettings:
    return ServiceSettings.from_env("customer", DEFAULT_PORT)


@dataclass(frozen=True, slots=True)
class ImportSettings:
    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 50_000
    batch_rows: int = 50

    @classmethod
    def from_env(cls, upload_max_bytes: int) -> ImportSettings:
        return cls(
            max_bytes=upload_max_bytes,
            max_rows=int(os.environ.get("CUSTOMER_IMPORT_MAX_ROWS", "50000")),
            batch_rows=max(1, int(os.environ.get("CUSTOMER_IMPORT_BATCH_ROWS", "50"))),
        )


@dataclass(frozen=True, slots=True)
class ViewerSettings:
    default_time_zone: str = DEFAULT_TIME_ZONE

    @classmethod
    def from_env(cls) -> ViewerSettings:
        zone = os.environ.get("CUSTOMER_DEFAULT_TIME_ZONE", "").strip() or DEFAULT_TIME_ZONE
        if not known_zone(zone):  # refuse to start rather than hand clients a bad zone
            raise ValueError("CUSTOMER_DEFAULT_TIME_ZONE is not a known IANA time zone")
        return cls(default_time_zone=zone)
