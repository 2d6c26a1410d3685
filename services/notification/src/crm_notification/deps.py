"""What handlers and resolvers depend on; built once per process in `app.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from crm_kit.events import utcnow
from crm_notification.repository import NotificationRepository


@dataclass(frozen=True, slots=True)
class Deps:
    notifications: NotificationRepository
    clock: Callable[[], datetime] = field(default=utcnow)
