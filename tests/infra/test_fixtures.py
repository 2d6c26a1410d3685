"""The shared session fixtures give working MongoDB and RabbitMQ endpoints."""

from __future__ import annotations

import aio_pika
from pymongo import AsyncMongoClient

from crm_dev.testing import Broker, MongoServer


async def test_mongodb_uri_supports_transactions(mongodb_uri: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_uri)
    try:
        coll = client["infra_fixtures"]["tx"]
        await coll.delete_many({})
        async with client.start_session() as session, await session.start_transaction():
            await coll.insert_one({"_id": "a"}, session=session)
            await coll.insert_one({"_id": "b"}, session=session)
        assert await coll.count_documents({}) == 2
    finally:
        await client.close()


async def test_amqp_url_accepts_connections(amqp_url: str) -> None:
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange("infra.fixtures", aio_pika.ExchangeType.TOPIC)
        assert exchange.name == "infra.fixtures"


def test_mongo_server_restart_keeps_data(mongo_server: MongoServer | None) -> None:
    if mongo_server is None:
        return  # external MONGODB_URI
    from pymongo import MongoClient

    with MongoClient(mongo_server.uri) as client:
        client["infra_fixtures"]["restart"].replace_one({"_id": 1}, {"v": 1}, upsert=True)
    mongo_server.restart()
    with MongoClient(mongo_server.uri) as client:
        assert client["infra_fixtures"]["restart"].find_one({"_id": 1}) == {"_id": 1, "v": 1}


def test_broker_fixture_shape(broker: Broker) -> None:
    assert broker.url.startswith("amqp://")
    assert broker.running
