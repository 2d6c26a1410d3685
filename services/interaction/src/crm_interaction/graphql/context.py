"""The resolver `info` type of this subgraph."""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from crm_interaction.services import Deps
from crm_kit.graphql import RequestContext

Info: TypeAlias = strawberry.Info[RequestContext[Deps], None]  # noqa: UP040 - strawberry inspects it
