"""Answer "no document" for an absent `{_id: value}` from mongoeco's primary key.

Why: for an update's or a delete's `{_id: value}` whose document does not exist (every upsert
that inserts, e.g. a timeline entry) mongoeco 4.11.0 looks the storage key up, and when it is
absent falls back to a plan that parses every document of the collection to be sure (profile
of createCustomer at 5,000 customers: a quarter of the server's CPU).

What: for a `str` or `ObjectId` value the storage key is the only place the document can be
(as the id_uniqueness patch explains), so an absent key now answers "no document" at once;
other values, and a query with a `hint`, go through mongoeco unchanged.
Switch: `CRM_DEV_MONGOECO_ABSENT_ID=0`. Written against mongoeco 4.11.0;
`tests/infra/test_mongo_features_cache.py` checks that an upsert of a new `_id` does not scan
the collection.
"""

from __future__ import annotations

import functools
from typing import Any

from crm_dev.mongo import switches
from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

SELECT_FIRST = "mongoeco.engines.sqlite.SQLiteEngine._select_first_document_for_plan"


def build(originals: Originals) -> Replacements:
    import bson
    from mongoeco.core.query_plan import EqualsCondition

    original = originals[SELECT_FIRST]

    @functools.wraps(original)
    def select_first_document_for_plan(
        self: Any, db_name: str, coll_name: str, plan: Any, **kwargs: Any
    ) -> Any:
        if (
            isinstance(plan, EqualsCondition)
            and plan.field == "_id"
            and isinstance(plan.value, (str, bson.ObjectId))
            and kwargs.get("hint") is None
        ):
            conn = self._require_connection(kwargs.get("context"))
            row = conn.execute(
                "SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? AND storage_key = ?",
                (db_name, coll_name, self._storage_key(plan.value)),
            ).fetchone()
            if row is None:
                return None
        return original(self, db_name, coll_name, plan, **kwargs)

    return {SELECT_FIRST: select_first_document_for_plan}


PATCH = Patch(
    name="absent_id",
    written_for="4.11.0",
    targets=(SELECT_FIRST,),
    build=build,
    switch=switches.ABSENT_ID,
)
