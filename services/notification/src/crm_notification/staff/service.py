"""Just-in-time provisioning: a caller is recorded in the staff directory on their requests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from pymongo.errors import PyMongoError

from crm_kit.auth import Principal
from crm_notification.staff.store import StaffRepository

_log = logging.getLogger("crm_notification.graphql")


class StaffService:
    def __init__(self, staff: StaffRepository, clock: Callable[[], datetime]) -> None:
        self._staff = staff
        self._clock = clock

    async def remember(self, principal: Principal) -> None:
        """Record the caller; a failure is logged, never fails the request."""
        try:
            await self._staff.remember(principal, self._clock())
        except PyMongoError:
            _log.warning("staff directory update failed", exc_info=True)
