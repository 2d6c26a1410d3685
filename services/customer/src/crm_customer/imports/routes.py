"""`GET /files/{token}`: the customer service's downloads, on the kit's download route
(`crm_kit.imports.routes`: statuses, headers, refusals and the `customer.download` audit
record). Clients call the gateway's `/files/customer/<token>` (`imports.links`), which
forwards here; what a link opens is `imports.downloads`."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from crm_customer.graphql.context import Deps
from crm_customer.i18n import CATALOG, register
from crm_customer.imports.downloads import TARGET_TYPES, Downloads
from crm_customer.imports.links import SERVICE
from crm_kit.file_links import FileLink
from crm_kit.imports.downloads import DownloadLinks, OpenedFile
from crm_kit.imports.routes import DOWNLOAD_MESSAGES, DownloadRoute

register(DOWNLOAD_MESSAGES)


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def _links(request: Request) -> DownloadLinks:
    return _deps(request).jobs.links


async def _open(request: Request, link: FileLink, now: datetime) -> OpenedFile:
    deps = _deps(request)
    return await Downloads(deps.catalog_queries, deps.jobs, deps.exports).open(link, now)


ROUTES = DownloadRoute(SERVICE, _links, _open, TARGET_TYPES, CATALOG).routes()
