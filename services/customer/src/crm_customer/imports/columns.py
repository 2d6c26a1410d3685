"""The columns of the import template (and of exports): the fixed columns, then one per active
custom field definition; each with a key, zh and en headers and whether it is required.

A file's header row may use the API name (``idCardNumber``; ``id_card_number`` too), the
Chinese or the English header of each column, in any order and case; a trailing ``*`` (how the
template marks required columns) is ignored. A custom field's column is named by its key or
either label. Header problems name the columns, in the caller's language (they are not
catalogue texts). The column set of a job is made from the definitions it snapshotted when the
file was uploaded (`ColumnSet.of`), so its staging, dry run and real run see the same columns.
How a header row is read against the columns is the kit's (`crm_kit.imports.columns`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crm_customer.catalog.model import FieldDefinition, FieldType
from crm_kit.imports import columns as kit
from crm_kit.imports.columns import ColumnTable, HeaderMap, normalise

# A custom column's key: a prefix no fixed key has, and no "." (job documents keep headers
# by column key, and a dotted BSON key would read as a path).
CUSTOM_KEY = "custom:"
API_PREFIX = "customFields."  # how the API names a custom field (its field errors' paths)


def custom_key(field_key: str) -> str:
    """The column key of the custom field `field_key`."""
    return CUSTOM_KEY + field_key


@dataclass(frozen=True, slots=True)
class Column(kit.Column):
    personal: bool = False  # left out of exports without personal data
    definition: FieldDefinition | None = None  # a custom field's column

    @property
    def api_name(self) -> str:
        """The column as the API names its field: ``idCardNumber``, a custom field's key."""
        return self.definition.key if self.definition else kit.camel(self.key)

    @property
    def names(self) -> tuple[str, ...]:
        """The names a header may give the column (before the aliases of the fixed ones)."""
        if self.definition is None:
            return (self.zh, self.en, self.key, self.api_name)
        return (self.zh, self.en, self.api_name, API_PREFIX + self.api_name)


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
_FIXED_ALIASES = kit.aliases_of(
    COLUMNS,
    (
        ("customer name", "name"), ("email", "emails"), ("phone", "phones"),
        ("mobile", "phones"), ("姓名", "name"), ("手机", "phones"), ("邮箱", "emails"),
    ),
)  # fmt: skip

# What a custom column's notes say of its values (zh, en); SELECT types add their options.
_TYPE_HINTS: dict[FieldType, tuple[str, str]] = {
    FieldType.TEXT: ("文本", "Text"),
    FieldType.NUMBER: ("数字", "Number"),
    FieldType.DATE: ("日期 YYYY-MM-DD", "Date YYYY-MM-DD"),
    FieldType.BOOLEAN: ("是/否", "TRUE/FALSE"),
    FieldType.SELECT: ("可选：", "One of: "),
    FieldType.MULTISELECT: ("可多选，用分号分隔：", "Any of, separated by ;: "),
}


def custom_column(d: FieldDefinition) -> Column:
    """The import column of a custom field definition."""
    zh, en = _TYPE_HINTS[d.type]
    options = "/".join(d.options)
    return Column(
        custom_key(d.key), d.label_zh, d.label_en, d.required,
        hint_zh=zh + options, hint_en=en + options, definition=d,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ColumnSet(ColumnTable[Column]):
    """The fixed columns and those of some custom field definitions, with the headers that
    name each (normalised). A header row must have the fixed required columns; a required
    custom field is checked per row (an UPSERT update may leave it out)."""

    @classmethod
    def of(cls, definitions: Iterable[FieldDefinition] = ()) -> ColumnSet:
        """The fixed columns, then one per active definition in the given order. A name that
        already names a column keeps naming it (a label ``手机`` stays the phones column); a
        custom field no free name is left for is left out (it could not be read back)."""
        aliases = dict(_FIXED_ALIASES)
        columns: list[Column] = list(COLUMNS)
        for d in definitions:
            if not d.active:
                continue
            column = custom_column(d)
            free = {normalise(n) for n in column.names if n.strip() and normalise(n) not in aliases}
            if free:
                aliases.update(dict.fromkeys(free, column.key))
                columns.append(column)
        required = tuple(c for c in COLUMNS if c.required)
        return cls(tuple(columns), aliases, {c.key: c for c in columns}, required)


FIXED = ColumnSet.of()


def resolve_header(cells: list[str]) -> HeaderMap:
    """`ColumnSet.resolve_header` of the fixed columns."""
    return FIXED.resolve_header(cells)


def template_header(language: str) -> list[str]:
    """`ColumnSet.template_header` of the fixed columns."""
    return FIXED.template_header(language)


def template_notes(language: str) -> list[list[str]]:
    """`ColumnSet.template_notes` of the fixed columns."""
    return FIXED.template_notes(language)
