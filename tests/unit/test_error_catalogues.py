"""Every error a service raises reaches the caller in zh-CN or English: each field-error code
and each message key in its source has an entry in its catalogue (its own or the kit's), and
every Chinese text is Chinese. Read from the code itself, so a new code without texts fails."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_interaction.i18n import CATALOG as INTERACTION
from crm_kit.i18n import COMMON, Catalog
from crm_notification.i18n import CATALOG as NOTIFICATION
from crm_sales.i18n import CATALOG as SALES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "crm_kit": (ROOT / "libs/crm_kit/src/crm_kit", COMMON),
    "crm_interaction": (ROOT / "services/interaction/src/crm_interaction", INTERACTION),
    "crm_notification": (ROOT / "services/notification/src/crm_notification", NOTIFICATION),
    "crm_sales": (ROOT / "services/sales/src/crm_sales", SALES),
}


def _code_argument(call: ast.Call) -> ast.expr | None:
    """The `code` of `FieldError(field, code, message)` or `BadUserInput.single(...)`."""
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
    if name not in ("FieldError", "single"):
        return None
    if len(call.args) > 1:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == "code"), None)


def raised_codes(package: Path) -> Iterator[tuple[str, str]]:
    """(where, code) of every field-error code and message key written in `package`; a code
    that is not a literal is reported as such, so that it cannot escape the check."""
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            code = _code_argument(node)
            keys = [k.value for k in node.keywords if k.arg == "message_key"]
            for value in [code, *keys] if code is not None else keys:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    yield where, value.value
                elif not (isinstance(value, ast.Name) and value.id in ("code", "message_key")):
                    yield where, f"<not a literal: {ast.unparse(value)}>"


@pytest.mark.parametrize("package", sorted(SOURCES))
def test_every_raised_code_has_texts_in_the_catalogue(package: str) -> None:
    folder, catalog = SOURCES[package]
    missing = [f"{at}: {code}" for at, code in raised_codes(folder) if not catalog.entry(code)]
    assert not missing, "\n".join(missing)


def _entries(catalog: Catalog) -> Iterator[tuple[str, tuple[str, str]]]:
    yield from catalog.items()
    if catalog.base is not None:
        yield from _entries(catalog.base)


@pytest.mark.parametrize("package", sorted(SOURCES))
def test_every_chinese_text_is_chinese_and_every_english_one_is_given(package: str) -> None:
    _, catalog = SOURCES[package]
    for code, (zh, en) in _entries(catalog):
        assert any("\u4e00" <= c <= "\u9fff" for c in zh), code
        assert en.strip(), code
