"""Messages in the caller's language: zh-CN by default, English when Accept-Language prefers it.

Errors are raised with stable codes and an English message. On the way out
(`crm_kit.localise`) each message is replaced by its catalogue text in the request's language.
This module is the pure part: the request language, the `Catalog` of code → (zh-CN, en) texts
and the rules that pick a text. It needs nothing beyond the standard library.

A catalogue text may hold two placeholders:

- `{message}` stands for the message as raised. An English text of `"{message}"` keeps the
  raised one, for codes whose raise sites name specifics (a limit, the allowed states) that a
  fixed text would lose.
- `{requestId}` stands for the request id of a masked internal error.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from crm_kit.errors import ErrorCode

ZH = "zh-CN"
EN = "en"
RAISED = "{message}"
# Set per request by crm_kit.localise.LanguageMiddleware; zh-CN outside a request.
language_var: ContextVar[str] = ContextVar("crm_language", default=ZH)


def parse_accept_language(header: str) -> str:
    """The best supported language of an Accept-Language header (zh-CN unless English wins)."""
    best, best_q = ZH, -1.0
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower()
        supported = EN if lang.startswith("en") else ZH if lang.startswith("zh") else None
        if supported and q > max(best_q, 0.0):  # q=0 (or unreadable) means "not this one"
            best, best_q = supported, q
    return best


def error_key(code: ErrorCode | str) -> str:
    """The catalogue key of the generic text of an error code. Kept apart from field-error
    codes, which may share a name (an import row's NOT_FOUND is about a customer)."""
    return f"error.{code}"


class Catalog(dict[str, tuple[str, str]]):
    """code → (zh-CN text, en text). A service's catalogue holds its own codes and falls back
    on `base` (the kit's codes and generic texts) for the rest; its own entries win."""

    def __init__(
        self, messages: Mapping[str, tuple[str, str]] | None = None, *, base: Catalog | None = None
    ) -> None:
        super().__init__(messages or {})
        self.base = base

    def register(self, messages: Mapping[str, tuple[str, str]]) -> None:
        """Add a module's own messages (feature modules call it at import time)."""
        self.update(messages)

    def entry(self, code: str) -> tuple[str, str] | None:
        found = self.get(code)
        if found is None and self.base is not None:
            return self.base.entry(code)
        return found

    def text(self, code: str, raised: str, lang: str | None = None, **fill: str) -> str:
        """The text of `code` in `lang` (the request's language when None); `raised` when the
        catalogue has no entry for it."""
        texts = self.entry(code)
        if texts is None:
            return raised
        chosen = texts[1] if (lang or language_var.get()) == EN else texts[0]
        for name, value in {"message": raised, **fill}.items():
            chosen = chosen.replace("{" + name + "}", value)
        return chosen

    def field_errors(self, extensions: dict[str, Any], lang: str) -> dict[str, Any]:
        """`extensions` with each `fieldErrors[].message` in `lang`."""
        errors = extensions.get("fieldErrors")
        if not isinstance(errors, list):
            return extensions
        localised = [
            {**e, "message": self.text(str(e.get("code")), str(e.get("message")), lang)}
            for e in errors
            if isinstance(e, dict)
        ]
        return {**extensions, "fieldErrors": localised}

    def error_message(
        self, raised: str, extensions: Mapping[str, Any], lang: str, key: str | None = None
    ) -> str:
        """The top-level message of a typed error (a CrmError) in `lang`: the text of its
        message key; else, for a single field error that is the whole message, that field
        error's text; else the generic text of its code."""
        if key is not None and self.entry(key) is not None:
            return self.text(key, raised, lang)
        single = _single_field_error(raised, extensions)
        if single is not None:
            return self.text(single, raised, lang)
        return self.text(error_key(str(extensions.get("code"))), raised, lang)

    def internal_message(self, raised: str, extensions: Mapping[str, Any], lang: str) -> str:
        """The message of a masked internal error (it carries a request id, nothing else)."""
        key = (
            "error.UNAVAILABLE"
            if extensions.get("retryable")
            else error_key(ErrorCode.INTERNAL_SERVER_ERROR)
        )
        return self.text(key, raised, lang, requestId=str(extensions.get("requestId", "")))


def _single_field_error(raised: str, extensions: Mapping[str, Any]) -> str | None:
    """The code of the one field error whose message is the error's own (`BadUserInput.single`)."""
    errors = extensions.get("fieldErrors")
    if not isinstance(errors, list) or len(errors) != 1 or not isinstance(errors[0], dict):
        return None
    return str(errors[0].get("code")) if errors[0].get("message") == raised else None


# The kit's own texts: the generic message of each error code, and the field-error codes the
# kit raises (paging, filters, idempotency keys). Every service catalogue falls back on these.
COMMON = Catalog(
    {
        error_key(ErrorCode.UNAUTHENTICATED): ("身份验证失败或已过期，请重新登录", RAISED),
        error_key(ErrorCode.FORBIDDEN): ("您没有执行此操作的权限", RAISED),
        error_key(ErrorCode.NOT_FOUND): ("未找到该记录", RAISED),
        error_key(ErrorCode.CONFLICT): ("操作与当前数据冲突，请刷新后重试", RAISED),
        error_key(ErrorCode.BAD_USER_INPUT): ("输入有误，请按各项提示修改", RAISED),
        error_key(ErrorCode.RATE_LIMITED): ("请求过于频繁，请稍后再试", RAISED),
        error_key(ErrorCode.INTERNAL_SERVER_ERROR): (
            "服务器内部错误，请联系管理员（请求编号 {requestId}）",
            RAISED,
        ),
        "error.UNAVAILABLE": (
            "服务暂时不可用，请稍后使用相同的 idempotencyKey 重试（请求编号 {requestId}）",
            RAISED,
        ),
        "IDEMPOTENCY_KEY_REUSED": (
            "该幂等键（idempotencyKey）已用于另一项不同的请求",
            "This idempotencyKey was already used for a different request",
        ),
        "REQUIRED": ("此项为必填项", RAISED),
        "TOO_LONG": ("内容过长", RAISED),
        "TOO_MANY": ("条目过多", RAISED),
        "OUT_OF_RANGE": ("数值超出允许范围", RAISED),
        "INVALID": ("格式无效", RAISED),
        "INVALID_CURSOR": ("分页游标无效", RAISED),
        "INVALID_JSON": ("内容不是有效的 JSON", RAISED),
        "UNSUPPORTED": ("不支持该取值", RAISED),
    }
)
