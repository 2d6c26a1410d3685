"""Where a delivery goes, looked up when it is sent (not stored in the delivery log): a staff
member's email / phone from their preferences; a customer's email from the customer service
(customer-facing mails, see customer_contacts.py); a webhook's URL from the delivery."""

from __future__ import annotations

from crm_notification.customer_contacts import CustomerContacts
from crm_notification.delivery import Delivery, DeliveryError
from crm_notification.domain import Channel
from crm_notification.stores import PreferenceStore

CUSTOMER_TARGET = "customer:"


def customer_target(customer_id: str) -> str:
    return f"{CUSTOMER_TARGET}{customer_id}"


class AddressBook:
    def __init__(
        self, preferences: PreferenceStore, customers: CustomerContacts | None = None
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
