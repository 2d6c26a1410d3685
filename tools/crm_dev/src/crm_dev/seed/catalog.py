"""What an administrator sets up before sales starts: the staff directory, the service desk,
tags, custom fields and assignment rules. Every call is an upsert, so a second seed changes
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_dev.seed.client import GatewayClient


@dataclass(frozen=True, slots=True)
class Staff:
    id: str
    name: str
    team: str
    role: str


STAFF = (
    Staff("chen.jing", "陈静", "east", "MANAGER"),
    Staff("li.lei", "李雷", "east", "SALES"),
    Staff("han.meimei", "韩梅梅", "east", "SALES"),
    Staff("wang.qiang", "王强", "south", "SALES"),
    Staff("zhou.yu", "周宇", "south", "SALES"),
    Staff("zhao.min", "赵敏", "service", "SERVICE"),
    Staff("sun.li", "孙丽", "service", "SERVICE"),
    Staff("liu.yang", "刘洋", "analytics", "ANALYST"),
)
SALES = tuple(s for s in STAFF if s.role == "SALES")
AGENTS = tuple(s for s in STAFF if s.role == "SERVICE")

# name, colour, group, description
TAGS = (
    ("vip", "#d4380d", "价值", "年采购额前 10% 的客户"),
    ("重点", "#fa8c16", "跟进", "本季度重点跟进"),
    ("高意向", "#52c41a", "跟进", "明确表达采购意向"),
    ("新客户", "#1677ff", "生命周期", "近 90 天内首次成交"),
    ("老客户", "#2f54eb", "生命周期", "合作三年以上"),
    ("续约", "#13c2c2", "合同", "合同将在 90 天内到期"),
    ("试用", "#722ed1", "合同", "正在试用产品"),
    ("渠道", "#eb2f96", "来源", "经合作伙伴引入"),
    ("华东", "#8c8c8c", "区域", None),
    ("华南", "#8c8c8c", "区域", None),
)

# key, zh label, en label, type, options
CUSTOM_FIELDS = (
    ("vip_level", "会员等级", "VIP level", "SELECT", ("普通", "银卡", "金卡", "钻石")),
    ("annual_budget", "年度预算（万元）", "Annual budget (10k CNY)", "NUMBER", ()),
    ("contract_end", "合同到期日", "Contract end", "DATE", ()),
    ("preferred_contact", "偏好联系方式", "Preferred contact", "SELECT", ("电话", "微信", "邮件")),
    ("newsletter", "订阅资讯", "Newsletter", "BOOLEAN", ()),
)

# name, team, provinces
ASSIGNMENT_RULES = (
    ("华东区线索", "east", ("上海市", "江苏省", "浙江省", "安徽省")),
    ("华南区线索", "south", ("广东省", "福建省", "广西壮族自治区", "海南省")),
    ("其他地区", "east", ()),  # no condition: the fallback, tried last
)

SAVE_STAFF_MEMBER = "mutation($input: StaffInput!) { saveStaffMember(input: $input) { id } }"
SET_AGENT = """mutation($a: String!, $t: String!) {
  saveServiceAgent(agentId: $a, team: $t) { agentId active }
}"""
SAVE_TAG = "mutation($input: TagInput!) { saveTag(input: $input) { name } }"
SAVE_FIELD = """mutation($input: CustomFieldDefinitionInput!) {
  saveCustomFieldDefinition(input: $input) { key } }"""
SAVE_RULE = "mutation($input: AssignmentRuleInput!) { saveAssignmentRule(input: $input) { id } }"
RULES = "{ assignmentRules { id name } }"


async def seed_staff(gateway: GatewayClient) -> int:
    """The staff directory (so owners and assignees have names before anyone signs in) and
    the service agents tickets are routed to."""
    for s in STAFF:
        staff = {"id": s.id, "name": s.name, "team": s.team, "roles": [s.role]}
        staff |= {"email": f"{s.id}@example.com", "idempotencyKey": f"seed-staff-{s.id}"}
        await gateway.call(SAVE_STAFF_MEMBER, {"input": staff})
    for agent in AGENTS:
        await gateway.call(SET_AGENT, {"a": agent.id, "t": agent.team})
    return len(STAFF)


async def seed_catalog(gateway: GatewayClient) -> dict[str, int]:
    for name, color, group, description in TAGS:
        tag = {"name": name, "color": color, "group": group, "description": description}
        await gateway.call(SAVE_TAG, {"input": tag})
    for position, (key, zh, en, kind, options) in enumerate(CUSTOM_FIELDS):
        field: dict[str, Any] = {"key": key, "labelZh": zh, "labelEn": en, "type": kind}
        field |= {"options": list(options), "position": position}
        await gateway.call(SAVE_FIELD, {"input": field})
    # a rule is created without an id and updated by its id, so match earlier ones by name
    existing = {r["name"]: r["id"] for r in (await gateway.call(RULES))["assignmentRules"]}
    for position, (name, team, provinces) in enumerate(ASSIGNMENT_RULES):
        rule: dict[str, Any] = {"id": existing.get(name), "name": name, "team": team}
        rule |= {"provinces": list(provinces), "position": position}
        if rule["id"] is None:  # a create is guarded by its key; an update by id is idempotent
            rule["idempotencyKey"] = f"seed-rule-{position}"
        await gateway.call(SAVE_RULE, {"input": rule})
    counts = {"tags": len(TAGS), "customFields": len(CUSTOM_FIELDS)}
    return counts | {"assignmentRules": len(ASSIGNMENT_RULES)}
