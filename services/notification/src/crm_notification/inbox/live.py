"""Live updates for `notificationReceived`: every replica listens to
`notification.delivered.v1` on its own exclusive queue and pushes in-app notifications to the
subscribers connected to it, so a client gets its notices whichever replica it is connected to.

The replica that stores a notification also tells its own subscribers as soon as the
transaction commits (before the event's round trip through the outbox and broker); the
broker path then repeats it and is de-duplicated. Subscribers only yield what they read back
from the database (briefly retried, for a reader that lags the commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
from aio_pika.abc import AbstractIncomingMessage

from crm_kit.bus import EventBus
from crm_notification.inbox.model import Notification

_log = logging.getLogger("crm_notification.live")

DELIVERED = "notification.delivered.v1"
QUEUE_LIMIT = 1000
SEEN_LIMIT = 1000
COMMIT_WAIT_SECONDS = 1.0
COMMIT_POLL_SECONDS = 0.05


type Item = str | Notification  # an id from the broker, or a committed notification


class LiveHub:
    """In-process fan-out: user id → the queues of that user's open subscriptions."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Item]]] = defaultdict(set)
        self.listening = asyncio.Event()

    @contextlib.asynccontextmanager
    async def subscribe(self, user_id: str) -> AsyncIterator[asyncio.Queue[Item]]:
        queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._subscribers[user_id].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[user_id].discard(queue)
            if not self._subscribers[user_id]:
                del self._subscribers[user_id]

    def publish(self, user_id: str, item: Item) -> int:
        queues = self._subscribers.get(user_id, ())
        for queue in queues:
            if queue.full():  # a stalled client loses the oldest, not the service's memory
                queue.get_nowait()
            queue.put_nowait(item)
        return len(queues)

    def committed(self, notification: Notification) -> None:
        """Called after the transaction that stored `notification` committed."""
        self.publish(notification.recipient_id, notification)

    def on_message_body(self, body: bytes) -> None:
        try:
            envelope = orjson.loads(body)
            notification = envelope["data"]["notification"]
            if notification.get("channel") == "IN_APP":
                self.publish(str(notification["recipientId"]), str(notification["id"]))
        except (orjson.JSONDecodeError, KeyError, TypeError):
            _log.warning("unreadable notification.delivered.v1 ignored")


async def received(
    hub: LiveHub, user_id: str, load: Callable[[str], Awaitable[Notification | None]]
) -> AsyncIterator[Notification]:
    """The user's notifications as they are stored, each once. Local ones arrive committed;
    ids from the broker (stored by another replica) are read back from the database."""
    seen: OrderedDict[str, None] = OrderedDict()
    async with hub.subscribe(user_id) as queue:
        while True:
            item = await queue.get()
            notification_id = item if isinstance(item, str) else item.id
            if notification_id in seen:
                continue
            found = item if not isinstance(item, str) else await load(item)
            waited = 0.0
            while found is None and waited < COMMIT_WAIT_SECONDS:  # a reader behind the commit
                await asyncio.sleep(COMMIT_POLL_SECONDS)
                waited += COMMIT_POLL_SECONDS
                found = await load(notification_id)
            if found is None or found.recipient_id != user_id:
                continue
            seen[notification_id] = None
            if len(seen) > SEEN_LIMIT:
                seen.popitem(last=False)
            yield found


async def listen(bus: EventBus, hub: LiveHub, stop: asyncio.Event) -> None:
    """Bind an exclusive, auto-deleted queue to `notification.delivered.v1` until `stop`."""
    while not stop.is_set():
        try:
            channel = await bus.channel(256)
            exchange = await channel.get_exchange(bus.exchange_name, ensure=True)
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            await queue.bind(exchange, routing_key=DELIVERED)

            async def on_message(message: AbstractIncomingMessage) -> None:
                hub.on_message_body(message.body)

            # Best effort by design: an exclusive queue of live hints; the inbox is the record.
            await queue.consume(on_message, no_ack=True)
            hub.listening.set()
            try:
                while not stop.is_set() and not channel.is_closed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 1.0)
            finally:
                hub.listening.clear()
                if not channel.is_closed:
                    await channel.close()
        except Exception:
            _log.warning("live listener failed; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
