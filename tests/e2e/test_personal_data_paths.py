"""Personal data on every path of the composed API, as every role (every subgraph and the
gateway on the real broker and the embedded MongoDB).

Distinctive personal values are planted (an individual, an enterprise's contact person, a
changed record, a duplicate, an interaction, a ticket, a task, an import, an export, an
opportunity's contact person). Then the API schema is read back through the gateway: its
personal fields are the fields typed by a scalar described as ``Personal data (<kind>)``.
Every root query field is called as every role, selecting every field beneath it; a personal
value of a kind the role may not see must come back masked (or the path refused), and the
clear value must appear nowhere in the whole answer. The same values must appear in no event,
webhook payload, export file a role may not read clear, or error message.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    Undefined,
    build_client_schema,
    get_introspection_query,
    get_named_type,
)
from starlette.applications import Starlette
from starlette.routing import Route

from crm_kit.personal import PersonalKind
from tests.e2e.personal_seed import (
    CLEAR,
    ENTERPRISE,
    ID_CARD,
    ROLES,
    Seeded,
    headers,
    hidden_from,
    leaks,
    seed_customers,
    seed_jobs,
    seed_sales,
    seed_work,
)
from tests.e2e.schema_walk import (
    ANY_KIND,
    Walk,
    personal_coordinates,
    personal_scalars,
    personal_values,
    reaching,
    text_of,
)
from tests.harness import captured_events, serve_system
from tests.integration.notification.harness import Receiver
from tests.integration.notification.ws_client import subscribe
from tests.support import eventually, serve_app

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def seeded(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Seeded]:
    """One seeded system for the module (the tests read it; two later tests write to it)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WEBHOOK_ALLOW_PRIVATE", "true")  # the receiver is on loopback
        env.setenv("SCHEDULER_POLL_SECONDS", "0.1")
        env.setenv("SALES_CUSTOMER_WAIT_SECONDS", "15")  # a new customer reaches sales first
        async for s in _seeded(mongodb_uri, amqp_url):
            yield s


async def _seeded(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Seeded]:
    hooks = Receiver()
    receiver = Starlette(routes=[Route("/hook", hooks.endpoint, methods=["POST"])])
    limits = {"introspection": True, "max_cost": 10_000_000, "max_depth": 30}
    async with (
        serve_app(receiver) as hook_url,
        serve_system(mongodb_uri, amqp_url, **limits) as system,
        captured_events(amqp_url, system.exchange) as events,
        httpx.AsyncClient(timeout=120) as http,
    ):
        hooks.url = f"{hook_url}/hook"
        s = Seeded(system.gateway, http, {"StaffMember": "sal-own"}, events, hooks)
        await s.ok(
            """mutation($u: String!) { createWebhookSubscription(input: {url: $u,
            eventTypes: ["customer.created.v1", "customer.updated.v1"]}) { secret } }""",
            {"u": hooks.url},
        )
        for role in ROLES:  # staff records are provisioned on a first request
            await s.call(role, "{ unreadNotificationCount }")
        s.ids["Customer"] = await seed_customers(s)
        await seed_work(s, s.ids["Customer"])
        await seed_jobs(s)
        await seed_sales(s)
        yield s


def _id_value(ids: dict[str, str], name: str, field_name: str, field: GraphQLField) -> str | None:
    """A planted id for an id argument (None: not an id argument, or nothing planted)."""
    if name in ("nodeId", "nodeIds"):  # `node` / `nodes`: the seeded customer's global id
        key = b"Customer:" + orjson.dumps({"id": ids["Customer"]})
        return f'"{base64.urlsafe_b64encode(key).decode()}"'
    named = name[:1].upper() + name[1:-2] if name.endswith("Id") else ""
    if named in ids:  # `<type>Id` names a planted one (pipelineBoard(pipelineId:))
        return f'"{ids[named]}"'
    if name == "id":  # the id of the type returned, or named by the field (customerHistory)
        found = ids.get(get_named_type(field.type).name) or next(
            (v for t, v in ids.items() if field_name.lower().startswith(t.lower())), None
        )
        return f'"{found}"' if found else None
    return None


def _arguments(ids: dict[str, str]) -> Any:
    now = datetime.now(UTC)
    dates = {"at": now, "to": now + timedelta(days=1), "from": now - timedelta(days=30)}
    dates["asOf"] = now - timedelta(minutes=1)  # pipelineAsOf: a past instant
    period = f'{{from: "{dates["from"].isoformat()}", to: "{dates["to"].isoformat()}"}}'
    days = f'{{from: "{dates["from"].date()}", to: "{now.date()}"}}'

    def value(name: str, field_name: str, field: GraphQLField, arg: Any) -> str | None:
        named = get_named_type(arg.type)
        if name == "id" or name.endswith(("Id", "Ids")):
            return _id_value(ids, name, field_name, field)
        if named.name == "DateTime":
            return f'"{dates[name].isoformat()}"'
        if isinstance(named, GraphQLEnumType):
            return next(iter(named.values))
        literals = {"Boolean": "false", "Int": "20", "String": '"zh-CN"', "JSON": "{}"}
        literals["DateTimeRangeInput"] = period  # a required period (serviceAnalytics)
        # the sales figures of the planted SALES owner for this month, over the last 30 days
        literals["SalesTargetSubjectInput"] = '{staffId: "sal-own"}'
        literals["SalesPeriodInput"] = f"{{kind: MONTH, year: {now.year}, number: {now.month}}}"
        literals["ProbabilityCalibrationFilterInput"] = days
        return literals.get(named.name)

    def fill(_owner: GraphQLNamedType, field_name: str, field: GraphQLField) -> str | None:
        parts = []
        for name, arg in field.args.items():
            if (
                isinstance(arg.type, GraphQLNonNull)
                and arg.default_value is Undefined
                and arg.default is None
            ):
                literal = value(name, field_name, field, arg)
                if literal is None:
                    return None
                parts.append(f"{name}: {literal}")
        return f"({', '.join(parts)})" if parts else ""

    return fill


async def _schema(s: Seeded) -> GraphQLSchema:
    body = await s.call("ADMIN", get_introspection_query(descriptions=True))
    return build_client_schema(body["data"])


def _check(role: str, found: Any, hidden: list[PersonalKind], problems: list[str]) -> None:
    kinds = hidden if found.kind == ANY_KIND else [k for k in hidden if k.value == found.kind]
    leaked = leaks(text_of(found.value), kinds)
    if leaked:
        problems.append(f"{role} {found.path} ({found.coordinate}) = {leaked}")


async def test_every_personal_path_is_masked_or_refused_for_every_role(seeded: Seeded) -> None:
    s = seeded
    schema = await _schema(s)
    personal = personal_scalars(schema)
    assert {"PhoneNumber", "EmailAddress", "IdCardNumber"} <= set(personal)
    reach = reaching(schema, personal)
    assert {"customer", "customerHistory"} <= {
        f
        for f, d in (schema.query_type.fields if schema.query_type else {}).items()
        if get_named_type(d.type).name in reach
    }
    query_type = schema.query_type
    assert query_type is not None
    walk = Walk(schema, _arguments(s.ids), [])
    # every root field: those typed to reach a personal field, and the rest for free text
    roots = {f: walk.root(query_type, f) for f in query_type.fields}
    assert not walk.unfillable, f"give the walk an argument value for {walk.unfillable}"
    problems: list[str] = []
    seen_clear: set[str] = set()
    outcome: dict[str, dict[str, str]] = {}
    for role in ROLES:
        hidden = hidden_from(role)
        for field, selection in roots.items():
            body = await s.call(role, "{ " + str(selection) + " }")
            problems += [
                f"{role} {field}: whole answer holds {v}" for v in leaks(text_of(body), hidden)
            ]
            target = get_named_type(query_type.fields[field].type)
            data = (body.get("data") or {}).get(field)
            values = list(personal_values(schema, personal, target, data, field))
            for found in values:
                _check(role, found, hidden, problems)
                if role == "ADMIN" and found.value not in (None, "", []):
                    seen_clear.add(found.coordinate)
            refused = any(e.get("path", [None])[0] == field for e in body.get("errors", []))
            outcome.setdefault(field, {})[role] = (
                "refused" if refused and not values else f"{len(values)} values"
            )
    print(
        "\npersonal paths by root field and role:",
        orjson.dumps(outcome, option=orjson.OPT_INDENT_2).decode(),
    )
    assert not problems, "\n".join(problems)
    # the walk really reached planted data at every personal field of the schema
    missing = personal_coordinates(schema, personal) - seen_clear
    assert not missing, f"no planted value reached {missing}: seed one"


def _reachable_coordinates(schema: GraphQLSchema, root: Any, personal: dict[str, str]) -> set[str]:
    types, todo = set(), [get_named_type(f.type) for f in root.fields.values()]
    while todo:
        named = todo.pop()
        if named.name in types:
            continue
        types.add(named.name)
        todo += [get_named_type(f.type) for f in getattr(named, "fields", {}).values()]
        todo += list(getattr(named, "types", []))
    return {c for c in personal_coordinates(schema, personal) if c.split(".")[0] in types}


async def test_mutation_and_subscription_payloads_use_the_types_the_walk_checks(
    seeded: Seeded,
) -> None:
    """Masking is the serialiser of the personal types: a mutation's or subscription's payload
    is masked exactly as the same field read by a query, which the walk covers."""
    schema = await _schema(seeded)
    personal = personal_scalars(schema)
    from_query = _reachable_coordinates(schema, schema.query_type, personal)
    for root in (schema.mutation_type, schema.subscription_type):
        assert _reachable_coordinates(schema, root, personal) <= from_query
    # and one payload, as a role that sees the ID number masked
    sales = await seeded.call(
        "SALES",
        """mutation($id: ID!) { updateCustomer(id: $id, expectedVersion: 2,
        input: {tier: "A"}) { idCardNumber phones } }""",
        {"id": seeded.ids["Customer"]},
    )
    assert (
        sales["data"]["updateCustomer"]["idCardNumber"] == ID_CARD[:6] + "********" + ID_CARD[-4:]
    )
    assert not leaks(text_of(sales), hidden_from("SALES"))


async def test_a_masked_role_cannot_confirm_a_value_by_searching(seeded: Seeded) -> None:
    search = """query($t: String!) { customers(filter: {text: $t}) {
      totalCount edges { node { kind } } } }"""
    for text in (CLEAR[PersonalKind.PHONE][0], CLEAR[PersonalKind.EMAIL][0]):
        refused = await seeded.call("ANALYST", search, {"t": text})
        [error] = refused["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["fieldErrors"][0]["field"] == "text"
        assert error["extensions"]["fieldErrors"][0]["code"] == "NOT_SEARCHABLE"
        seen = await seeded.call("SERVICE", search, {"t": text})  # SERVICE sees phones, e-mails
        assert seen["data"]["customers"]["totalCount"] >= 1
    by_name = await seeded.call("ANALYST", search, {"t": "张三丰"})
    assert by_name["data"]["customers"]["totalCount"] == 0
    company = await seeded.call("ANALYST", search, {"t": "隐私测试企业"})
    assert company["data"]["customers"]["totalCount"] == 1


async def test_events_and_webhook_payloads_carry_no_personal_data(seeded: Seeded) -> None:
    every = list(PersonalKind)
    await eventually(lambda: _any(seeded.events), timeout=30)
    await eventually(lambda: _any(seeded.hooks.hits), timeout=60)
    for event in seeded.events:
        assert not leaks(event["body"], every), event
    assert any(ENTERPRISE in e["body"] for e in seeded.events)  # public names do travel
    for hit in seeded.hooks.hits:
        assert not leaks(hit.body.decode(), every), hit.body


async def _any(items: list[Any]) -> bool:
    return bool(items)


async def test_export_files_mask_what_the_role_may_not_see(seeded: Seeded) -> None:
    read = "query($id: ID!) { exportJob(id: $id) { status file { url } } }"
    for role in ROLES:
        started = await seeded.call(role, "mutation { exportCustomers(format: CSV) { id } }")
        if "errors" in started:
            assert started["errors"][0]["extensions"]["code"] == "FORBIDDEN", started
            continue
        job_id = started["data"]["exportCustomers"]["id"]

        async def done(role: str = role, job_id: str = job_id) -> Any:
            job = (await seeded.call(role, read, {"id": job_id}))["data"]["exportJob"]
            return job if job["status"] == "COMPLETED" else None

        job = await eventually(done, timeout=60)
        download = await seeded.http.get(seeded.gateway + job["file"]["url"])  # no token
        assert download.status_code == 200, download.text
        content = download.content.decode("utf-8-sig")
        assert CLEAR[PersonalKind.NAME][0] in content or PersonalKind.NAME in hidden_from(role)
        assert not leaks(content, hidden_from(role)), role


async def test_error_messages_carry_no_personal_data(seeded: Seeded) -> None:
    phone, email = CLEAR[PersonalKind.PHONE][0], CLEAR[PersonalKind.EMAIL][0]
    answers = [
        # the gateway's own validation echoes a literal
        await seeded.call("SALES", f'{{ customers(first: "{phone}") {{ totalCount }} }}'),
        # variable coercion echoes the value
        await seeded.call(
            "SALES", "query($n: Int!) { customers(first: $n) { totalCount } }", {"n": email}
        ),
        # a subgraph's field error names the unknown value
        await seeded.call(
            "ADMIN",
            """mutation($id: ID!, $c: JSON!) { updateCustomer(id: $id, expectedVersion: 3,
            input: {customFields: $c}) { id } }""",
            {"id": seeded.ids["Customer"], "c": {email: phone}},
        ),
        await seeded.call("ADMIN", f'{{ customer(id: "{ID_CARD}") {{ id }} }}'),
    ]
    for body in answers:
        assert body.get("errors"), body
        assert not leaks(text_of(body["errors"]), list(PersonalKind)), body["errors"]


async def test_seeded_values_are_clear_for_a_role_that_may_see_them(seeded: Seeded) -> None:
    """The masks are not blanket: ADMIN reads what was planted (the walk's other half)."""
    body = await seeded.call(
        "ADMIN",
        """query($id: ID!) { customer(id: $id) { displayName phones emails idCardNumber wechatId
        birthday addresses { street }
        history(first: 5) { edges { node { changes { field before } } } } } }""",
        {"id": seeded.ids["Customer"]},
    )
    text = text_of(body["data"])
    for kind in PersonalKind:
        assert CLEAR[kind][0] in text, kind


async def test_subscription_events_are_masked_for_the_subscriber(seeded: Seeded) -> None:
    """notificationReceived as ANALYST, selecting everything the schema offers under it, while
    the planted individual is assigned to them: the notice names the customer masked."""
    schema = await _schema(seeded)
    subscription = schema.subscription_type
    assert subscription is not None
    walk = Walk(schema, _arguments(seeded.ids), [])
    selection = walk.root(subscription, "notificationReceived")
    sub, team = ROLES["ANALYST"]
    bearer = headers("ANALYST")["Authorization"].removeprefix("Bearer ")
    query = "subscription { " + str(selection) + " }"
    async with subscribe(f"{seeded.gateway}/graphql", bearer, query) as received:
        await asyncio.sleep(0.5)  # the subscription is registered before the event
        await seeded.ok(
            """mutation($id: ID!, $o: ID!, $t: String!) {
            assignCustomer(id: $id, ownerId: $o, team: $t) { id } }""",
            {"id": seeded.duplicate, "o": sub, "t": team},
        )
        payload = await asyncio.wait_for(received.next(), timeout=30)
    notice = payload["data"]["notificationReceived"]
    assert notice["type"] == "CUSTOMER_ASSIGNED" and notice["customerId"] == seeded.duplicate
    assert "隐" in notice["title"] + notice["body"]  # the name, masked
    assert not leaks(text_of(payload), hidden_from("ANALYST")), payload
