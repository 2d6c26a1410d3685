"""How the enumerated values of event data read in a notice (pure): `HIGH` is 高 to a zh-CN
reader and High to an English one. Keyed by the template variable the value fills, since the
same word means different things in different places (a ticket's status, an import's)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_notification.inbox.model import Language

type Words = Mapping[str, tuple[str, str]]  # value → (zh-CN, en)

LEVELS: Words = {
    "LOW": ("低", "Low"),
    "NORMAL": ("中", "Normal"),
    "HIGH": ("高", "High"),
    "URGENT": ("紧急", "Urgent"),
}
TICKET_STATUS: Words = {
    "NEW": ("新建", "New"),
    "ASSIGNED": ("已分配", "Assigned"),
    "IN_PROGRESS": ("处理中", "In progress"),
    "WAITING_CUSTOMER": ("等待客户", "Waiting for customer"),
    "RESOLVED": ("已解决", "Resolved"),
    "CLOSED": ("已关闭", "Closed"),
    # import and export jobs
    "COMPLETED": ("已完成", "Completed"),
    "FAILED": ("失败", "Failed"),
}
LABELS: Mapping[str, Words] = {
    "urgency": LEVELS,
    "priority": LEVELS,
    "status": TICKET_STATUS,
    "previous": TICKET_STATUS,
    "ticketType": {
        "INQUIRY": ("咨询", "Inquiry"),
        "REQUEST": ("服务请求", "Request"),
        "FAULT": ("故障", "Fault"),
        "COMPLAINT": ("投诉", "Complaint"),
    },
    "target": {
        "FIRST_RESPONSE": ("首次响应", "first response"),
        "RESOLUTION": ("解决", "resolution"),
    },
    # the sales service's default close reasons (an ADMIN's own codes stay as they are)
    "reason": {
        "PRICE": ("价格", "price"),
        "PRODUCT_FIT": ("产品契合度", "product fit"),
        "RELATIONSHIP": ("客户关系", "relationship"),
        "SERVICE": ("服务", "service"),
        "COMPETITOR": ("选择了竞争对手", "went with a competitor"),
        "NO_BUDGET": ("没有预算", "no budget"),
        "NO_DECISION": ("未做决定", "no decision"),
        "TIMING": ("时机不对", "timing"),
        "OTHER": ("其他", "other"),
    },
}


def labelled(variables: Mapping[str, Any], language: Language) -> dict[str, Any]:
    """Template variables with the known enumerated values in `language`; unknown values
    (a new one the producer added) stay as they are."""
    shown = dict(variables)
    for name, words in LABELS.items():
        value = shown.get(name)
        if isinstance(value, str) and value in words:
            zh, en = words[value]
            shown[name] = en if language is Language.EN else zh
    return shown
