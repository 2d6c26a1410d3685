from __future__ import annotations

from strawberry.types import Info as StrawberryInfo

from crm_kit.graphql import RequestContext
from crm_notification.deps import Deps

type Context = RequestContext[Deps]
type Info = StrawberryInfo[Context, None]
