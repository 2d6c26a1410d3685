"""The day-to-day work on the demo customers: logged interactions (some mentioning a
colleague), service tickets at every stage, follow-up tasks with reminders, and purchases.
Every create carries an idempotency key or external id, so a second seed adds nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_dev.seed.catalog import AGENTS, SALES
from crm_dev.seed.client import GatewayClient

LOG = """mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }"""
CREATE_TICKET = """mutation($input: CreateTicketInput!) {
  createTicket(input: $input) { id status version } }"""
ASSIGN_TICKET = """mutation($id: ID!, $team: String, $v: Int) {
  assignTicket(id: $id, team: $team, expectedVersion: $v) { status version } }"""
MOVE_TICKET = """mutation($id: ID!, $status: TicketStatus!, $resolution: String, $v: Int) {
  changeTicketStatus(id: $id, status: $status, resolution: $resolution, expectedVersion: $v) {
    status version } }"""
CREATE_TASK = """mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }"""
OPEN_TASKS = """query($id: ID!) { customer(id: $id) { openTasks { title } } }"""
PURCHASE = """mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) {
  purchase { id } } }"""

NOTES = (
    ("PHONE", "首次电话沟通，客户对产品感兴趣", "FOLLOW_UP_NEEDED"),
    ("EMAIL", "发送报价单，等待回复", "FOLLOW_UP_NEEDED"),
    ("VISIT", "上门拜访，演示新功能", "SUCCESSFUL"),
    ("WECHAT", "微信确认下周的培训时间", "SUCCESSFUL"),
    ("MEETING", "Quarterly business review meeting", "SUCCESSFUL"),
    ("PHONE", "电话未接通，稍后再联系", "NO_ANSWER"),
)
TICKETS = (
    ("FAULT", "HIGH", "系统登录后报错 500", "用户反馈早上九点后无法登录后台"),
    ("INQUIRY", "NORMAL", "咨询发票开具流程", "客户需要增值税专用发票"),
    ("COMPLAINT", "URGENT", "送货延迟三天", "订单承诺周一送达，至今未收到"),
    ("REQUEST", "LOW", "申请增加两个子账号", "新同事入职，需要开通账号"),
)
# the status path a ticket walks to reach each stage shown in the demo (ASSIGNED: routed to
# the least loaded agent of the service team)
STAGES = (
    (),
    ("ASSIGNED",),
    ("ASSIGNED", "IN_PROGRESS"),
    ("ASSIGNED", "IN_PROGRESS", "RESOLVED"),
    ("ASSIGNED", "IN_PROGRESS", "RESOLVED", "CLOSED"),
)
TASKS = ("回访确认满意度", "准备续约报价", "发送产品手册", "安排现场演示", "催收尾款")
PRODUCTS = (
    ("SKU-CRM-STD", "CRM 标准版（年）", "12800.00"),
    ("SKU-CRM-PRO", "CRM 专业版（年）", "29800.00"),
    ("SKU-TRAIN", "实施培训（天）", "3000.00"),
    ("SKU-API", "接口扩展包", "5000.00"),
)


async def seed_interactions(gateway: GatewayClient, rng: random.Random, ids: list[str]) -> int:
    logged = 0
    for i, customer_id in enumerate(ids):
        for j in range(rng.randrange(1, 5)):
            channel, content, outcome = rng.choice(NOTES)
            if j == 0 and i % 5 == 0:  # a colleague is asked to help: a mention notice
                content += f"，@{rng.choice(SALES).id} 请协助准备方案"
            entry = {"customerId": customer_id, "channel": channel, "content": content}
            entry |= {"direction": rng.choice(("INBOUND", "OUTBOUND")), "outcome": outcome}
            await gateway.call(LOG, {"input": entry | {"idempotencyKey": f"seed-{i}-{j}"}})
            logged += 1
    return logged


async def seed_tickets(gateway: GatewayClient, rng: random.Random, ids: list[str]) -> int:
    opened = 0
    for i in range(max(len(STAGES), len(ids) // 3)):  # every stage, even with few customers
        customer_id = ids[(3 * i) % len(ids)]
        kind, priority, subject, description = TICKETS[i % len(TICKETS)]
        ticket = {"customerId": customer_id, "type": kind, "priority": priority}
        ticket |= {"subject": subject, "description": description, "team": AGENTS[0].team}
        ticket |= {"idempotencyKey": f"seed-ticket-{i}"}
        created = (await gateway.call(CREATE_TICKET, {"input": ticket}))["createTicket"]
        await _walk(gateway, created, STAGES[i % len(STAGES)])
        opened += 1
    return opened


async def _walk(gateway: GatewayClient, ticket: dict[str, Any], path: tuple[str, ...]) -> None:
    if ticket["status"] != "NEW":
        return  # walked by an earlier seed
    version = ticket["version"]
    for status in path:
        if status == "ASSIGNED":
            variables = {"id": ticket["id"], "team": AGENTS[0].team, "v": version}
            version = (await gateway.call(ASSIGN_TICKET, variables))["assignTicket"]["version"]
            continue
        resolution = "已远程处理，客户确认恢复" if status == "RESOLVED" else None
        variables = {"id": ticket["id"], "status": status, "resolution": resolution}
        moved = await gateway.call(MOVE_TICKET, variables | {"v": version})
        version = moved["changeTicketStatus"]["version"]


async def seed_tasks(gateway: GatewayClient, rng: random.Random, ids: list[str]) -> int:
    now = datetime.now(UTC)
    created = 0
    for i, customer_id in enumerate(ids[1::3]):
        # the first few fall due within the hour, so their reminders arrive while you look
        due = now + (timedelta(minutes=20 + 10 * i) if i < 3 else timedelta(days=1 + i % 7))
        task = {"customerId": customer_id, "title": TASKS[i % len(TASKS)]}
        task |= {"dueAt": due.isoformat(), "assigneeId": SALES[i % len(SALES)].id}
        task |= {"urgency": ("NORMAL", "HIGH", "URGENT", "LOW")[i % 4]}
        task |= {"idempotencyKey": f"seed-task-{i}"}
        if task["title"] not in await _open_task_titles(gateway, customer_id):
            await gateway.call(CREATE_TASK, {"input": task})
        created += 1
    return created


async def _open_task_titles(gateway: GatewayClient, customer_id: str) -> set[str]:
    """Due times follow the clock, so a second seed recognises its tasks by their titles
    (an idempotency key with a different due time is refused as another request)."""
    data = await gateway.call(OPEN_TASKS, {"id": customer_id})
    return {t["title"] for t in data["customer"]["openTasks"] or []}


async def seed_purchases(gateway: GatewayClient, rng: random.Random, ids: list[str]) -> int:
    recorded = 0
    now = datetime.now(UTC)
    for i, customer_id in enumerate(ids[::2]):
        for j in range(rng.randrange(1, 4)):
            items = [_item(rng) for _ in range(rng.randrange(1, 3))]
            total = sum(Decimal(item["unitPrice"]) * item["quantity"] for item in items)
            order: dict[str, Any] = {"customerId": customer_id}
            order |= {"orderNumber": f"SO-SEED-{i:03d}-{j}", "externalId": f"seed-{i}-{j}"}
            order |= {"amount": str(total), "currency": "CNY", "source": "seed"}
            order |= {"purchasedAt": (now - timedelta(days=rng.randrange(1, 400))).isoformat()}
            order |= {"items": items}
            await gateway.call(PURCHASE, {"input": order})
            recorded += 1
    return recorded


def _item(rng: random.Random) -> dict[str, Any]:
    sku, name, price = rng.choice(PRODUCTS)
    return {"sku": sku, "name": name, "quantity": rng.randrange(1, 4), "unitPrice": price}
