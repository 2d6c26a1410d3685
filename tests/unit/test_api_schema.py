"""The public API schema as a versioned artifact: the committed file is what the services
compose to, every breaking change since the last release is in CHANGELOG.md, and the schema
keeps the conventions the lint checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, print_schema

from crm_dev import api_schema
from crm_dev.api_schema import (
    CHANGELOG,
    SCHEMA_FILE,
    changes_between,
    composed_sdl,
    last_release,
    released_sdl,
    unlisted,
)
from crm_dev.schema_lint import lint

LINT_BASELINE = Path(__file__).resolve().parents[2] / "schema" / "lint-baseline.txt"


def test_the_committed_schema_is_what_the_services_compose_to() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == composed_sdl(), "run `make schema`"


def test_every_breaking_change_since_the_last_release_is_in_the_changelog() -> None:
    tag = last_release()
    found = changes_between(released_sdl(tag), SCHEMA_FILE.read_text(encoding="utf-8"))
    missing = unlisted(found.breaking, CHANGELOG.read_text(encoding="utf-8"))
    assert not missing, f"breaking since {tag}, not in CHANGELOG.md:\n" + "\n".join(missing)


def without_field(sdl: str, type_name: str, field_name: str) -> str:
    schema = build_schema(sdl)
    fields = schema.type_map[type_name].fields  # type: ignore[union-attr]
    assert fields.pop(field_name, None) is not None, f"{type_name}.{field_name} not found"
    return print_schema(schema)


def test_the_gate_fails_on_a_removed_field_until_the_changelog_lists_it() -> None:
    current = SCHEMA_FILE.read_text(encoding="utf-8")
    found = changes_between(current, without_field(current, "Customer", "displayName"))
    assert found.breaking == ["Field Customer.displayName was removed."]
    assert unlisted(found.breaking, "# Changelog\n") == found.breaking
    listed = "- `Field Customer.displayName was removed.` Ask for `name` instead.\n"
    assert unlisted(found.breaking, listed) == []


def test_the_schema_breaks_no_lint_rule_beyond_the_listed_ones() -> None:
    _, violations = lint(build_schema(SCHEMA_FILE.read_text(encoding="utf-8")))
    found = {str(v) for v in violations}
    lines = LINT_BASELINE.read_text(encoding="utf-8").splitlines()
    listed = {line for line in lines if line and not line.startswith("#")}
    assert not found - listed, "new lint violations:\n" + "\n".join(sorted(found - listed))
    assert not listed - found, "fixed; remove from the baseline:\n" + "\n".join(listed - found)


def test_the_last_release_is_the_highest_version_kept_in_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("v0.9.0", "v0.10.0", "v0.2.1", "notes"):
        (tmp_path / f"{name}.graphql").write_text("type Query { a: Int }\n", encoding="utf-8")
    monkeypatch.setattr(api_schema, "RELEASES", tmp_path)
    assert api_schema.last_release() == "v0.10.0"
