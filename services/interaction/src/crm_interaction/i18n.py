"""The interaction service's message catalogue: code → (zh-CN, en).

Every field-error code the service raises and every message key of its typed errors has an
entry here or in the kit's catalogue it falls back on (REQUIRED, TOO_LONG, TOO_MANY,
OUT_OF_RANGE, INVALID, INVALID_CURSOR and the generic text of each error code);
`tests/unit/test_error_catalogues.py` holds the service to that. An English text of
`{message}` keeps the raised message, which names the field's limit or the allowed states.
"""

from __future__ import annotations

from crm_interaction.analytics.model import MAX_RANGE
from crm_interaction.interactions.model import EDIT_WINDOW, FUTURE_TOLERANCE
from crm_kit.errors import ErrorCode
from crm_kit.i18n import COMMON, RAISED, Catalog, error_key

_FUTURE_MINUTES = int(FUTURE_TOLERANCE.total_seconds() // 60)

FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "IN_PAST": ("不能早于当前时间", RAISED),
    "IN_FUTURE": (f"不能晚于当前时间 {_FUTURE_MINUTES} 分钟以上", RAISED),
    "RANGE_TOO_LONG": (f"统计时间范围最长为 {MAX_RANGE.days} 天", RAISED),
    "INVALID_CURRENCY": ("币种无效，请使用 ISO 4217 代码（如 CNY）", RAISED),
    "NEGATIVE": ("金额不能为负数", RAISED),
    "PRECISION": ("小数位数超出该币种允许的精度", RAISED),
    "NOT_OPEN": ("该事项已完成或已关闭，不能执行此操作", RAISED),
    "NOT_RESOLVED": ("只有已解决或已关闭的工单才能评价", RAISED),
    "NO_AGENTS": ("该团队暂无可分派的在岗客服", RAISED),
    "TRANSITION_NOT_ALLOWED": ("不允许的状态变更", RAISED),
    "UNASSIGNED": ("请先将工单分派给处理人", RAISED),
}

# Typed errors raised with a `message_key`: the texts say what the role or the caller may do.
ERROR_MESSAGES: dict[str, tuple[str, str]] = {
    # Every conflict of this service is a record changed since the caller read it.
    error_key(ErrorCode.CONFLICT): ("该记录已被他人修改，请刷新后重试", RAISED),
    "INTERACTION_READ_ONLY_ROLE": (
        "您的角色只能查看沟通记录，不能新建",
        "Your role may read interactions but not log them",
    ),
    "INTERACTION_NOT_AUTHOR": (
        "只有记录人、经理或管理员可以修改此沟通记录",
        "Only the author, a manager or an admin may change this interaction",
    ),
    "INTERACTION_EDIT_WINDOW": (
        f"记录人只能在记录后 {EDIT_WINDOW.days} 天内修改沟通记录",
        f"Interactions can be changed by their author for {EDIT_WINDOW.days} days only",
    ),
    "TASK_READ_ONLY_ROLE": (
        "您的角色只能查看任务，不能创建或完成任务",
        "Your role may read tasks but not create or complete them",
    ),
    "TASK_NOT_YOURS": (
        "只有任务负责人、创建人或经理可以执行此操作",
        RAISED,  # names what was refused: complete, cancel, change
    ),
    "TICKET_READ_ONLY_ROLE": (
        "您的角色只能查看工单，不能处理工单",
        "Your role may read tickets but not work on them",
    ),
    "TICKET_DISPATCH_ROLE": (
        "只有客服人员、经理和管理员可以分派工单",
        "Only service staff, managers and admins assign tickets",
    ),
    "PURCHASE_WRITER_ROLE": (
        "只有销售人员、经理和管理员可以录入购买记录",
        "Only sales staff, managers and admins record purchases",
    ),
}

CATALOG = Catalog({**FIELD_MESSAGES, **ERROR_MESSAGES}, base=COMMON)
