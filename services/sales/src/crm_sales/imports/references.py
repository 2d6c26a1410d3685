"""Which pipeline and stage an import row names (pure): by id, or by the Chinese or English name
(case, spaces and ``_`` / ``-`` ignored). A name that names no pipeline (stage of the pipeline)
is UNKNOWN_PIPELINE (UNKNOWN_STAGE), one that names several AMBIGUOUS_NAME: the row is refused
in that column before it reaches the use case."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from crm_kit.imports.columns import normalise
from crm_kit.imports.model import RowProblem
from crm_sales.pipelines.model import Pipeline


class Named(Protocol):
    """A pipeline or a stage: an id and a Chinese and an English name."""

    @property
    def id(self) -> str: ...

    @property
    def name_zh(self) -> str: ...

    @property
    def name_en(self) -> str: ...


def _named(items: Iterable[Named], ref: str, *, column: str, unknown: str) -> str:
    """The id `ref` names among `items`: its own id first, else a name."""
    found = list(items)
    if any(item.id == ref for item in found):
        return ref
    wanted = normalise(ref)
    hits = {
        item.id for item in found if wanted in (normalise(item.name_zh), normalise(item.name_en))
    }
    if len(hits) > 1:
        raise RowProblem(column, "AMBIGUOUS_NAME")
    if not hits:
        raise RowProblem(column, unknown)
    return hits.pop()


@dataclass(frozen=True, slots=True)
class Pipelines:
    """The pipelines as they are when a batch starts."""

    by_id: dict[str, Pipeline]

    @classmethod
    def of(cls, pipelines: Iterable[Pipeline]) -> Pipelines:
        return cls({p.id: p for p in pipelines})

    def pipeline(self, ref: str) -> Pipeline:
        """The pipeline `ref` names (its id, or its zh or en name)."""
        found = _named(self.by_id.values(), ref, column="pipeline", unknown="UNKNOWN_PIPELINE")
        return self.by_id[found]

    @staticmethod
    def stage_id(pipeline: Pipeline, ref: str | None) -> str | None:
        """The stage `ref` names in `pipeline`; None (the use case's default: the first
        stage) without one."""
        if ref is None:
            return None
        return _named(pipeline.stages, ref, column="stage", unknown="UNKNOWN_STAGE")
