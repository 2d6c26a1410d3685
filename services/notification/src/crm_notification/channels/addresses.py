"""Where a delivery goes, looked up when it is sent (not stored in the delivery log): a staff
member's email / phone from their preferences; a customer's email from the customer service
(customer-facing mails, see customer_contacts.py); a webhook's URL from the delivery."""

from __future__ import annotations

from crm_notification.channels.customer_contacts import CustomerContacts
from crm_notification.channels.model import CUSTOMER_TARGET, Channel
from crm_notification.deliveries.model import Delivery, DeliveryError
from crm_notification.preferences.store import PreferenceRepository


class AddressBook:
    def __init__(
        self, preferences: PreferenceRepository, customers: CustomerContacts | None = None
    ) -> None:
        self._preferences = preferences
        self._customers = customers

    async def resolve(self, delivery: Delivery) -> str | None:
        if delivery.channel is Channel.WEBHOOK:
            return delivery.address
        if delivery.target.startswith(CUSTOMER_TARGET):
            if self._customers is None:
                raise DeliveryError("customer email lookup is not configured", permanent=True)
            return await self._customers.email(delivery.target.removeprefix(CUSTOMER_TARGET))
        prefs = await self._preferences.get(delivery.target)
        return prefs.email if delivery.channel is Channel.EMAIL else prefs.phone
