"""The patches the embedded server applies to mongoeco before it serves, in one registry.

Each module is one patch: its docstring says why and what, its `PATCH` declares the mongoeco
version it was written against, the attributes it replaces and the patches it comes after.
`PATCHES.apply()` checks them all and then applies them in order (see `registry`).
"""

from crm_dev.mongo.patches import (
    absent_id,
    bulk_insert,
    busy_timeout,
    count_pipeline,
    expr_index,
    features_cache,
    id_membership,
    id_uniqueness,
    multikey,
    shared_index,
    transaction_gate,
)
from crm_dev.mongo.patches.registry import Outcome, Patch, PatchRefused, Registry

# The order of this list does not matter: the patches are applied in the order their `after`
# names give (`PATCHES.names`), and two patches replacing one attribute must declare it.
PATCHES = Registry(
    [
        absent_id.PATCH,
        bulk_insert.PATCH,
        busy_timeout.PATCH,
        count_pipeline.PATCH,
        expr_index.PATCH,
        features_cache.PATCH,
        id_membership.PATCH,
        id_uniqueness.PATCH,
        multikey.PATCH,
        shared_index.PATCH,
        transaction_gate.PATCH,
    ]
)

__all__ = ["PATCHES", "Outcome", "Patch", "PatchRefused", "Registry"]
