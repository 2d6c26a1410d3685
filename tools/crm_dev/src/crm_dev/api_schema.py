"""The public API schema as a versioned file, and the gate that keeps it honest.

`make schema` composes the subgraphs in process (each service's federation SDL, as its
`_service { sdl }` answers) the way the gateway does and writes the API schema clients see
(no `join__` or federation internals) to `schema/api.graphql`. Tests fail when the composed
schema differs from the file (`check`), and when a change that breaks clients since the last
release is not listed, word for word as `breaking` prints it, in `CHANGELOG.md`. A release
keeps its API schema as `schema/releases/vX.Y.Z.graphql` (`release vX.Y.Z` copies the current
file there), so the gate needs nothing but the checkout — no git history or tags.

    python -m crm_dev.api_schema write      # regenerate schema/api.graphql
    python -m crm_dev.api_schema check      # exit 1 when the file is stale
    python -m crm_dev.api_schema breaking   # breaking and dangerous changes since the release
    python -m crm_dev.api_schema release v0.2.0   # keep the current schema as a release
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from graphql import build_schema, find_breaking_changes, find_dangerous_changes

from crm_gateway.composition.api_schema import print_api_sdl
from crm_gateway.composition.compose import SubgraphSDL, compose
from crm_gateway.composition.nodes import add_global_ids

ROOT = Path(__file__).resolve().parents[4]
SCHEMA_FILE = ROOT / "schema" / "api.graphql"
RELEASES = ROOT / "schema" / "releases"
CHANGELOG = ROOT / "CHANGELOG.md"
VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
SUBGRAPHS = ("customer", "interaction", "notification", "sales")


def composed_sdl() -> str:
    """The API schema the gateway serves over the services in this checkout."""
    subgraphs = []
    for name in SUBGRAPHS:
        module = importlib.import_module(f"crm_{name}.graphql.schema")
        subgraphs.append(SubgraphSDL(name=name, url=f"http://{name}", sdl=module.schema.as_str()))
    supergraph = compose(subgraphs)
    add_global_ids(supergraph)  # as the gateway serves it by default
    return print_api_sdl(supergraph).rstrip("\n") + "\n"


def last_release() -> str:
    """The newest release kept under schema/releases (by version order, not by name)."""
    versions = [path.stem for path in RELEASES.glob("v*.graphql") if VERSION.match(path.stem)]
    if not versions:
        raise LookupError(f"no release schema in {RELEASES.relative_to(ROOT)}")
    return max(versions, key=lambda v: tuple(int(part) for part in VERSION.match(v).groups()))  # type: ignore[union-attr]


def released_sdl(version: str) -> str:
    return (RELEASES / f"{version}.graphql").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Changes:
    breaking: list[str]
    dangerous: list[str]


def changes_between(before: str, after: str) -> Changes:
    """graphql-core's breaking and dangerous changes from `before` to `after`, as its
    one-line descriptions (e.g. "Field Query.a was removed.")."""
    old, new = build_schema(before), build_schema(after)
    return Changes(
        breaking=sorted(c.description for c in find_breaking_changes(old, new)),
        dangerous=sorted(c.description for c in find_dangerous_changes(old, new)),
    )


def unlisted(breaking: list[str], changelog: str) -> list[str]:
    """The breaking changes the changelog does not name word for word."""
    return [change for change in breaking if change not in changelog]


def _write() -> int:
    SCHEMA_FILE.parent.mkdir(exist_ok=True)
    SCHEMA_FILE.write_text(composed_sdl(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE.relative_to(ROOT)}")
    return 0


def _check() -> int:
    if SCHEMA_FILE.read_text(encoding="utf-8") != composed_sdl():
        print(f"{SCHEMA_FILE.relative_to(ROOT)} is stale: run `make schema`", file=sys.stderr)
        return 1
    return 0


def _breaking() -> int:
    tag = last_release()
    found = changes_between(released_sdl(tag), composed_sdl())
    print(f"since {tag}: {len(found.breaking)} breaking, {len(found.dangerous)} dangerous")
    print("".join(f"- {c}\n" for c in found.breaking), end="")
    print("".join(f"- (dangerous) {c}\n" for c in found.dangerous), end="")
    missing = unlisted(found.breaking, CHANGELOG.read_text(encoding="utf-8"))
    if missing:
        print(f"{len(missing)} breaking changes are not in CHANGELOG.md", file=sys.stderr)
    return 1 if missing else 0


def _release(version: str) -> int:
    if not VERSION.match(version):
        print(f"a release is named vX.Y.Z, not {version!r}", file=sys.stderr)
        return 2
    if _check():
        return 1
    RELEASES.mkdir(parents=True, exist_ok=True)
    target = RELEASES / f"{version}.graphql"
    target.write_text(SCHEMA_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}; head CHANGELOG.md's Unreleased section {version}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("write", "check", "breaking", "release"))
    parser.add_argument("version", nargs="?", help="for `release`: vX.Y.Z")
    args = parser.parse_args()
    if args.command == "release":
        return _release(args.version or "")
    return {"write": _write, "check": _check, "breaking": _breaking}[args.command]()


if __name__ == "__main__":
    raise SystemExit(main())
