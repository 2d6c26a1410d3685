"""Session fixtures for integration and end-to-end tests.

- ``mongodb_uri`` (str): ``MONGODB_URI`` if set, else an embedded mongoeco server (patched,
  temp data dir) started in a subprocess; ``mongo_server`` gives its handle (``stop()``,
  ``start()``, ``restart()``, ``kill()``; ``None`` for an external server).
- ``broker`` (:class:`crm_dev.testing.Broker`): ``AMQP_URL`` if set, else a project-local
  RabbitMQ node (own node name, ports and temp data dir) with ``.url``, ``.stop()``,
  ``.start()``, ``.kill()``, ``.restart()``; ``amqp_url`` (str) is ``broker.url``.

Nothing starts unless a test asks for it. When the session needs both, they start
concurrently the first time either is requested.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from crm_dev.testing import Broker, InfraError, MongoServer

MONGO_FIXTURES = frozenset({"mongodb_uri", "mongo_server"})
BROKER_FIXTURES = frozenset({"amqp_url", "broker"})


class _Infra:
    def __init__(self, session: pytest.Session, tmp: pytest.TempPathFactory) -> None:
        used: set[str] = set()
        for item in session.items:
            used.update(getattr(item, "fixturenames", ()))
        self._needs_mongo = bool(used & MONGO_FIXTURES) and not os.environ.get("MONGODB_URI")
        self._needs_broker = bool(used & BROKER_FIXTURES) and not os.environ.get("AMQP_URL")
        self._tmp = tmp
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="infra")
        self._mongo: Future[MongoServer] | None = None
        self._broker: Future[Broker] | None = None

    def _kick_off(self, *, mongo: bool, broker: bool) -> None:
        if (mongo or self._needs_mongo) and self._mongo is None:
            self._mongo = self._pool.submit(self._start_mongo, self._tmp.mktemp("mongo"))
        if (broker or self._needs_broker) and self._broker is None:
            self._broker = self._pool.submit(Broker.embedded, self._tmp.mktemp("rabbitmq"))

    @staticmethod
    def _start_mongo(data_dir: Path) -> MongoServer:
        server = MongoServer(data_dir)
        server.start()
        return server

    def mongo(self) -> MongoServer:
        self._kick_off(mongo=True, broker=False)
        assert self._mongo is not None
        return self._mongo.result()

    def broker(self) -> Broker:
        self._kick_off(mongo=False, broker=True)
        assert self._broker is not None
        return self._broker.result()

    def started_broker(self) -> Broker | None:
        future = self._broker
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result()

    def close(self) -> None:
        if self._broker is not None and self._broker.exception() is None:
            self._broker.result().close()
        if self._mongo is not None and self._mongo.exception() is None:
            self._mongo.result().stop()
        self._pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def _infra(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Infra]:
    infra = _Infra(request.session, tmp_path_factory)
    yield infra
    infra.close()


@pytest.fixture(scope="session")
def mongo_server(request: pytest.FixtureRequest) -> MongoServer | None:
    if os.environ.get("MONGODB_URI"):
        return None
    infra: _Infra = request.getfixturevalue("_infra")
    try:
        return infra.mongo()
    except InfraError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def mongodb_uri(mongo_server: MongoServer | None) -> str:
    return mongo_server.uri if mongo_server is not None else os.environ["MONGODB_URI"]


@pytest.fixture(scope="session")
def broker(request: pytest.FixtureRequest) -> Broker:
    url = os.environ.get("AMQP_URL")
    if url:
        return Broker(url=url)
    infra: _Infra = request.getfixturevalue("_infra")
    try:
        return infra.broker()
    except InfraError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def amqp_url(broker: Broker) -> str:
    return broker.url


@pytest.fixture(autouse=True)
def _broker_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that stopped or killed the session broker gets it restarted afterwards."""
    infra: _Infra | None = None
    if "broker" in request.fixturenames:
        infra = request.getfixturevalue("_infra")
    yield
    broker = infra.started_broker() if infra is not None else None
    if broker is not None and not broker.running:
        broker.start()
