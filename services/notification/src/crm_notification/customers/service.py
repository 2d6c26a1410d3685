"""Keeping the customer owner projection: `customer.assigned.v1`, applied in version order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_kit.mongo import Session
from crm_notification.customers.model import owner_of_assignment
from crm_notification.customers.store import CustomerOwnerRepository


class CustomerOwnerService:
    def __init__(self, owners: CustomerOwnerRepository) -> None:
        self._owners = owners

    async def remember_assignment(self, data: Mapping[str, Any], session: Session) -> None:
        """Apply a `customer.assigned.v1` payload unless a same-or-newer version is stored."""
        owner = owner_of_assignment(data)
        if owner is not None:
            await self._owners.save_if_newer(owner, session)
