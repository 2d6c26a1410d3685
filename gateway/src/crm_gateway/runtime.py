"""The gateway's running state: loading the supergraph, readiness, shared HTTP client."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from pathlib import Path
from typing import Any

from crm_gateway.composition.compose import SubgraphSDL, compose
from crm_gateway.composition.supergraph import CompositionError, Supergraph
from crm_gateway.composition.supergraph_sdl import load_supergraph_sdl
from crm_gateway.execution.engine import Engine
from crm_gateway.metrics import GatewayMetrics
from crm_gateway.settings import GatewaySettings
from crm_gateway.transport.circuit import CircuitBreaker
from crm_gateway.transport.client import ClientOptions, SubgraphClient, SubgraphUnavailable

logger = logging.getLogger("crm_gateway")


def _digest(*sources: str) -> str:
    """Of the supergraph's sources: a reload installs a new supergraph only when it changed."""
    return hashlib.sha256("\0".join(sources).encode()).hexdigest()


class GatewayRuntime:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.metrics = GatewayMetrics()
        self.client = SubgraphClient(
            timeout_seconds=settings.subgraph_timeout_seconds,
            metrics=self.metrics,
            options=ClientOptions(
                max_connections=settings.max_connections,
                timeouts=dict(settings.subgraph_timeouts),
                retries=settings.subgraph_retries,
                keepalive_seconds=settings.subgraph_keepalive_seconds,
                dedupe=settings.dedupe_requests,
            ),
            breaker=CircuitBreaker(settings.circuit_failures),
        )
        self.engine: Engine | None = None
        self.load_error: str | None = None
        self._loader: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._loaded = asyncio.Event()
        self._fingerprint: str | None = None  # of the installed supergraph's sources
        # sent as `Authorization` when the gateway itself calls subgraphs (SDLs, readiness)
        token = settings.service_token
        self._service_headers = {"authorization": f"Bearer {token}"} if token else {}

    @property
    def source(self) -> str:
        return (
            f"file:{self.settings.supergraph_file}"
            if self.settings.supergraph_file
            else "subgraphs"
        )

    def install(self, supergraph: Supergraph) -> None:
        """Swap in a new supergraph (requests in flight keep the engine they started with)."""
        reloaded = self.engine is not None
        self.engine = Engine(
            supergraph,
            self.client,
            introspection=self.settings.introspection,
            plan_cache_size=self.settings.plan_cache_size,
            limits=self.settings.limits,
            field_suggestions=self.settings.field_suggestions,
            global_ids=self.settings.global_object_identification,
        )
        self.load_error = None
        self._loaded.set()
        if reloaded:
            self.metrics.supergraph_reloads.inc()
        logger.info(
            "supergraph %s",
            "reloaded" if reloaded else "loaded",
            extra={"subgraphs": sorted(supergraph.subgraphs), "source": self.source},
        )

    async def start(self) -> None:
        if self.settings.supergraph_file:
            await self.reload()
        else:
            self._loader = asyncio.create_task(
                self._load_from_subgraphs(), name="supergraph-loader"
            )
        if self.settings.supergraph_poll_seconds > 0:
            self._poller = asyncio.create_task(self._poll(), name="supergraph-poller")

    async def reload(self) -> bool:
        """Load the supergraph again from its source; install it when it changed. A source
        that fails to load or compose leaves the running supergraph in place."""
        try:
            if self.settings.supergraph_file:
                path = Path(self.settings.supergraph_file)
                sdl = await asyncio.to_thread(path.read_text, encoding="utf-8")
                fingerprint = _digest(sdl)
                if fingerprint == self._fingerprint:
                    return False
                supergraph = load_supergraph_sdl(sdl)
            else:
                sdls = await self._fetch_sdls()
                fingerprint = _digest(*sdls)
                if fingerprint == self._fingerprint:
                    return False
                supergraph = self._compose(sdls)
        except (OSError, UnicodeDecodeError, CompositionError, SubgraphUnavailable) as exc:
            self.load_error = str(exc)
            logger.error("cannot load the supergraph (%s): %s", self.source, exc)
            return False
        self.install(supergraph)
        self._fingerprint = fingerprint
        return True

    async def _poll(self) -> None:
        await self._loaded.wait()
        while True:
            await asyncio.sleep(self.settings.supergraph_poll_seconds)
            try:
                await self.reload()
            except Exception:  # keep polling whatever happened
                logger.exception("supergraph reload failed")

    async def _fetch_sdls(self) -> list[str]:
        return list(
            await asyncio.gather(
                *(
                    self.client.fetch_sdl(name, url, self._service_headers)
                    for name, url in self.settings.subgraphs
                )
            )
        )

    def _compose(self, sdls: list[str]) -> Supergraph:
        return compose(
            [
                SubgraphSDL(name, url, sdl)
                for (name, url), sdl in zip(self.settings.subgraphs, sdls, strict=True)
            ]
        )

    async def _load_from_subgraphs(self) -> None:
        delay = 0.1
        while True:
            try:
                sdls = await self._fetch_sdls()
                self.install(self._compose(sdls))
                self._fingerprint = _digest(*sdls)
                return
            except SubgraphUnavailable as exc:
                self.load_error = f"waiting for subgraph {exc.subgraph!r} ({exc.reason})"
                logger.info("supergraph not loaded yet: %s", self.load_error)
            except CompositionError as exc:
                self.load_error = str(exc)
                logger.error("%s", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.startup_backoff_max_seconds)

    async def wait_loaded(self, timeout: float) -> bool:
        """For embedding and tests: wait until a supergraph is loaded."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._loaded.wait(), timeout)
        return self.engine is not None

    def subgraph_urls(self) -> dict[str, str]:
        if self.engine is not None:
            return {n: s.url for n, s in self.engine.supergraph.subgraphs.items()}
        return dict(self.settings.subgraphs) if not self.settings.supergraph_file else {}

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        urls = self.subgraph_urls()
        reasons = await asyncio.gather(
            *(
                self.client.probe(
                    url, self._service_headers, self.settings.readiness_timeout_seconds
                )
                for url in urls.values()
            )
        )
        subgraphs = {
            name: {"url": url, "reachable": reason is None, **({"error": reason} if reason else {})}
            for (name, url), reason in zip(urls.items(), reasons, strict=True)
        }
        loaded = self.engine is not None
        ready = loaded and all(reason is None for reason in reasons)
        body: dict[str, Any] = {
            "ready": ready,
            "supergraph": {"loaded": loaded, "source": self.source},
            "subgraphs": subgraphs,
        }
        if self.load_error:
            body["supergraph"]["error"] = self.load_error
        return ready, body

    async def aclose(self) -> None:
        for task in (self._loader, self._poller):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.client.aclose()
