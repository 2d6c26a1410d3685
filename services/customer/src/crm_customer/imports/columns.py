"""The columns of the import template (and of exports): key, zh and en headers, required.

A file's header row may use the key, the Chinese or the English header of each column, in
any order and case; a trailing ``*`` (how the template marks required columns) is ignored.
Header problems name the columns, in the caller's language (they are not catalogue texts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_customer.i18n import EN, language_var
from crm_kit.errors import BadUserInput, FieldError


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = False
    personal: bool = False  # left out of exports without personal data
    hint_zh: str = ""
    hint_en: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("kind", "客户类型", "Kind", True, hint_zh="个人/企业", hint_en="INDIVIDUAL/ENTERPRISE"),
    Column("name", "客户名称", "Name", True, hint_zh="姓名或公司名", hint_en="Person or company"),
    Column("id", "客户ID", "Customer ID", hint_zh="按 ID 更新时填写", hint_en="For upsert by id"),
    Column("stage", "生命周期阶段", "Stage", hint_zh="线索/潜在客户/活跃/VIP", hint_en="LEAD…VIP"),
    Column("tier", "客户等级", "Tier"),
    Column("tags", "标签", "Tags", hint_zh="多个用分号分隔", hint_en="Separated by ;"),
    Column("phones", "手机号码", "Phones", personal=True, hint_zh="多个用分号分隔"),
    Column("emails", "电子邮箱", "Emails", personal=True, hint_zh="多个用分号分隔"),
    Column("source", "来源", "Source", hint_zh="线上/线下/转介绍/活动/广告/合作伙伴/其他"),
    Column("source_detail", "来源详情", "Source detail"),
    Column("referrer", "推荐人", "Referrer", personal=True),
    Column("owner_id", "负责人", "Owner"),
    Column("team", "团队", "Team"),
    Column("gender", "性别", "Gender", personal=True, hint_zh="男/女", hint_en="MALE/FEMALE"),
    Column("birthday", "出生日期", "Birthday", personal=True, hint_en="YYYY-MM-DD"),
    Column("id_card_number", "身份证号码", "ID card number", personal=True, hint_en="GB 11643"),
    Column("wechat_id", "微信号", "WeChat ID", personal=True),
    Column("province", "省份", "Province"),
    Column("city", "城市", "City"),
    Column("district", "区县", "District"),
    Column("street", "街道地址", "Street", personal=True),
    Column("postal_code", "邮政编码", "Postal code"),
    Column("uscc", "统一社会信用代码", "Credit code", hint_en="GB 32100, enterprises"),
    Column("industry", "行业", "Industry", hint_zh="GB/T 4754 门类 A–T"),
    Column("company_size", "企业规模", "Company size", hint_zh="微型/小型/中型/大型"),
    Column("website", "网站", "Website"),
    Column("contact_name", "联系人", "Contact name", personal=True),
    Column("contact_title", "联系人职务", "Contact title"),
    Column("contact_phone", "联系人电话", "Contact phone", personal=True),
    Column("contact_email", "联系人邮箱", "Contact email", personal=True),
)
BY_KEY = {c.key: c for c in COLUMNS}
_IGNORED = re.compile(r"[\s_*＊\-]+")


def _norm(text: str) -> str:
    return _IGNORED.sub("", text).lower()


_ALIASES: dict[str, str] = {}
for _c in COLUMNS:
    for _alias in (_c.key, _c.zh, _c.en):
        _ALIASES[_norm(_alias)] = _c.key
_ALIASES[_norm("customer name")] = "name"
_ALIASES[_norm("email")] = "emails"
_ALIASES[_norm("phone")] = "phones"
_ALIASES[_norm("mobile")] = "phones"
_ALIASES[_norm("姓名")] = "name"
_ALIASES[_norm("手机")] = "phones"
_ALIASES[_norm("邮箱")] = "emails"


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Column position → column key, and each key's header as written in the file."""

    positions: dict[int, str]
    headers: dict[str, str]


def resolve_header(cells: list[str]) -> HeaderMap:
    """Map a header row to column keys; BAD_USER_INPUT naming missing, unknown or repeated
    columns (all of them at once)."""
    positions: dict[int, str] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for i, raw in enumerate(cells):
        text = raw.strip()
        if not text:
            continue
        key = _ALIASES.get(_norm(text))
        if key is None:
            unknown.append(text)
        elif key in headers:
            repeated.append(text)
        else:
            positions[i] = key
            headers[key] = text
    missing = [c for c in COLUMNS if c.required and c.key not in headers]
    en = language_var.get() == EN
    errors: list[FieldError] = []
    if missing:
        names = ", ".join(f"{c.zh} ({c.en})" for c in missing)
        text = "Missing required columns: " if en else "缺少必填列："
        errors.append(FieldError("file", "MISSING_COLUMNS", text + names))
    if unknown:
        text = "Unknown columns: " if en else "无法识别的列："
        errors.append(FieldError("file", "UNKNOWN_COLUMNS", text + ", ".join(unknown)))
    if repeated:
        text = "Repeated columns: " if en else "重复的列："
        errors.append(FieldError("file", "REPEATED_COLUMNS", text + ", ".join(repeated)))
    if errors:
        raise BadUserInput(errors, "The header row does not match the template")
    return HeaderMap(positions, headers)


def template_header(language: str) -> list[str]:
    """The template's header row: zh or en, required columns marked with ``*``."""
    return [(c.en if language == "en" else c.zh) + ("*" if c.required else "") for c in COLUMNS]


def template_notes(language: str) -> list[list[str]]:
    """The template's instructions sheet: one line per column."""
    if language == "en":
        head = ["Column", "Required", "Key", "Notes"]
        rows = [[c.en, "yes" if c.required else "no", c.key, c.hint_en] for c in COLUMNS]
    else:
        head = ["列名", "是否必填", "字段", "说明"]
        rows = [[c.zh, "是" if c.required else "否", c.key, c.hint_zh] for c in COLUMNS]
    return [head, *rows]
