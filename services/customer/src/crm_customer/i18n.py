"""The customer service's message catalogue: zh-CN by default, English via ``Accept-Language``.

Domain code raises errors with a stable ``code``; on the way out the message is replaced by
the catalogue text in the caller's language (`crm_kit.i18n`, `crm_kit.localise`). Feature
modules add their own codes with `register` at import time; codes the kit raises and the
generic texts of the error codes come from the kit's catalogue, which this one falls back on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_kit.i18n import COMMON, EN, ZH, Catalog, language_var, parse_accept_language

__all__ = [
    "CATALOG",
    "EN",
    "ZH",
    "language_var",
    "localise_extensions",
    "message",
    "parse_accept_language",
    "register",
]

CATALOG = Catalog(
    {
        "REQUIRED": ("必填项不能为空", "This field is required"),
        "TOO_LONG": ("内容过长", "This value is too long"),
        "TOO_MANY": ("条目过多", "Too many entries"),
        "INVALID_TAG": ("标签需为 1 到 40 个字符", "Tags are 1 to 40 characters"),
        "INVALID_PHONE": (
            "电话号码无效：可填手机号、带区号的固定电话（区号-号码-分机）或 400/800 号码",
            "Not a valid phone number: give a mobile, a landline with its area code "
            "(area code-number-extension) or a 400/800 number",
        ),
        "INVALID_EMAIL": ("电子邮箱无效", "Not a valid email address"),
        "INVALID_WECHAT_ID": ("微信号无效", "Not a valid WeChat id"),
        "INVALID_URL": ("网址无效（需以 http:// 或 https:// 开头）", "Not a valid http(s) URL"),
        "INVALID_POSTAL_CODE": ("邮政编码无效", "Not a valid postal code"),
        "INVALID_ID_CARD_FORMAT": ("身份证号码应为 18 位", "An ID card number has 18 characters"),
        "INVALID_ID_CARD_REGION": ("身份证号码地区码无效", "Unknown region code in ID card number"),
        "INVALID_ID_CARD_BIRTHDAY": (
            "身份证号码中的出生日期无效",
            "The birth date in the ID card number is impossible",
        ),
        "INVALID_ID_CARD_CHECK_DIGIT": (
            "身份证号码校验位不正确",
            "The ID card number's check digit is wrong",
        ),
        "INVALID_USCC_FORMAT": (
            "统一社会信用代码格式无效",
            "A unified social credit code has 18 valid characters",
        ),
        "INVALID_USCC_CHECK_CHAR": (
            "统一社会信用代码校验码不正确",
            "The unified social credit code's check character is wrong",
        ),
        "INVALID_INDUSTRY": (
            "行业代码无效（GB/T 4754 门类 A–T）",
            "Unknown industry (GB/T 4754 A–T)",
        ),
        "IMPOSSIBLE_BIRTHDAY": ("出生日期不合理", "The birthday is impossible"),
        "BIRTHDAY_MISMATCH": ("出生日期与身份证号码不符", "The birthday differs from the ID card"),
        "GENDER_MISMATCH": ("性别与身份证号码不符", "The gender differs from the ID card"),
        "FIELD_NOT_FOR_KIND": (
            "该字段不适用于此客户类型",
            "This field does not apply to this kind",
        ),
        "REFERRER_NEEDS_REFERRAL": (
            "只有来源为转介绍时才能填写推荐人",
            "A referrer needs the source REFERRAL",
        ),
        "MULTIPLE_PRIMARY": ("只能有一个主要联系人", "Only one contact can be primary"),
        "INVALID_STAGE": ("新客户不能处于流失阶段", "A new customer cannot start churned"),
        "INVALID_TRANSITION": ("不允许的阶段变更", "This stage change is not allowed"),
        "INVALID_CURSOR": ("分页游标无效", "Malformed cursor"),
        "INVALID_SEARCH": ("搜索内容无可检索的字词", "The search text has nothing searchable"),
        "NOT_SEARCHABLE": (
            "您的角色只能看到该类信息的脱敏值，不能按其搜索",
            "Your role sees this kind of data masked and cannot search by it",
        ),
        "VERSION_NOT_FOUND": ("该版本不存在", "No such version"),
        "INACTIVE_STAFF": ("该员工已停用，不能负责客户", "This staff member is inactive"),
        "UNKNOWN_ROLE": ("未知角色", "Unknown role"),
        "IDS_OR_FILTER": ("请提供客户 ID 列表或筛选条件之一", "Give either ids or a filter"),
        "DUPLICATE_ID": ("同一记录不能出现两次", "Each record can appear once"),
        "MERGE_SIZE": ("一次可合并 2 到 10 条记录", "Merge 2 to 10 records"),
        "UNKNOWN_FIELD": ("未知字段", "Unknown field"),
        "NOT_IN_MERGE": ("该记录不在本次合并中", "That record is not part of this merge"),
        "KIND_MISMATCH": ("不能合并不同类型的客户", "Cannot merge different kinds of customer"),
        "ALREADY_UNMERGED": ("该合并已撤销", "This merge was already undone"),
        "RETENTION_EXPIRED": ("已超过可撤销期限", "Too old to undo"),
    },
    base=COMMON,
)


def register(messages: Mapping[str, tuple[str, str]]) -> None:
    """Add a module's own (zh-CN, en) messages; each owning module calls it at import time."""
    CATALOG.register(messages)


def message(code: str, fallback: str, lang: str | None = None) -> str:
    return CATALOG.text(code, fallback, lang)


def localise_extensions(extensions: dict[str, Any], lang: str) -> dict[str, Any]:
    return CATALOG.field_errors(extensions, lang)
