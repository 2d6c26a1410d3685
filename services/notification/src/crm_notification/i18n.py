"""The notification service's message catalogue: code → (zh-CN, en).

Every field-error code the service raises has an entry here or in the kit's catalogue it falls
back on (REQUIRED, TOO_MANY, INVALID, INVALID_CURSOR and the generic text of each error code,
which covers its NOT_FOUND and FORBIDDEN); `tests/unit/test_error_catalogues.py` holds the
service to that. An English text of `{message}` keeps the raised message, which names the
offending value (an event type, a template variable, an unsafe address).
"""

from __future__ import annotations

from crm_kit.i18n import COMMON, RAISED, Catalog

FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "CONFLICTING": ("请指定通知或选择全部，二者只能选其一", RAISED),
    "UNSUPPORTED": ("语言仅支持 zh-CN 或 en", RAISED),
    "INVALID_EMAIL": ("电子邮箱地址无效", RAISED),
    "INVALID_TIME": ("时间格式应为 HH:MM（24 小时制）", RAISED),
    "UNKNOWN_TIME_ZONE": ("时区无效，请使用 IANA 时区名称（如 Asia/Shanghai）", RAISED),
    "NOT_PERSONAL": (
        "个人通知仅支持站内信、邮件和短信渠道；Webhook 请通过 Webhook 订阅配置",
        RAISED,
    ),
    "INVALID_TEMPLATE": ("模板有误：格式不正确或使用了不支持的变量", RAISED),
    "TEMPLATE_ERROR": ("无法用示例变量渲染模板：缺少变量或模板有误", RAISED),
    "UNKNOWN_EVENT_TYPE": ("请至少选择一种事件类型，且只能选择支持的事件类型", RAISED),
    "UNSAFE_URL": (
        "该地址不能用作 Webhook：须为 http 或 https 的公网地址，且不含用户名和密码",
        RAISED,
    ),
    "NOT_FINISHED": ("只有已发送或已终止的投递才能重新投递", RAISED),
}

CATALOG = Catalog(FIELD_MESSAGES, base=COMMON)
