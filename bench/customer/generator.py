"""Realistic customers: Chinese and English names, valid GB 11643 ID numbers and GB 32100
credit codes, mainland mobiles, emails, provinces, industries, tags."""

from __future__ import annotations

import random
from datetime import date, timedelta

from crm_customer.customers.model import NewCustomer
from crm_customer.customers.validators import id_card_check_digit, uscc_check_char
from crm_customer.customers.values import (
    Address,
    ContactPerson,
    CustomerKind,
    LifecycleStage,
    Source,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯鹏飞鑫波"
FIRST = ["James", "Mary", "John", "Emily", "Robert", "Linda", "Michael", "Sarah", "David", "Anna"]
LAST = ["Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Clark", "Lewis"]
PROVINCES = [
    ("11", "北京市", "北京市"),
    ("31", "上海市", "上海市"),
    ("44", "广东省", "深圳市"),
    ("33", "浙江省", "杭州市"),
    ("32", "江苏省", "南京市"),
    ("51", "四川省", "成都市"),
    ("42", "湖北省", "武汉市"),
    ("37", "山东省", "济南市"),
]
COMPANY_WORDS = "华信达通恒泰远鑫盛源瑞丰安康美联创科技云帆星辰海纳"
COMPANY_KINDS = ["科技", "贸易", "咨询", "制造", "物流", "网络", "文化", "医药"]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
INDUSTRIES = "ACFGIJKLMP"
TAGS = ["vip", "新客户", "重点", "华东", "华南", "渠道", "续约", "试用", "高意向", "老客户"]


def id_card(rng: random.Random, region: str) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    body = f"{region}{rng.randrange(100):02d}{rng.randrange(1, 100):02d}{born:%Y%m%d}"
    body += f"{rng.randrange(1000):03d}"
    return body + id_card_check_digit(body)


def uscc(rng: random.Random, region: str) -> str:
    body = "91" + region + f"{rng.randrange(100):02d}"
    body += "".join(rng.choice(USCC_CHARS) for _ in range(9))
    return body + uscc_check_char(body)


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def customer(rng: random.Random, i: int) -> NewCustomer:
    code, province, city = rng.choice(PROVINCES)
    address = [Address(province, city, "", f"{rng.randrange(1, 999)}号")]
    common = {
        "stage": rng.choice(list(LifecycleStage)[:4]),
        "tags": rng.sample(TAGS, rng.randrange(0, 3)),
        "source": rng.choice(list(Source)),
        "owner_id": f"staff{rng.randrange(20)}",
        "team": rng.choice(("east", "south", "west")),
        "addresses": address,
        "tier": rng.choice(("A", "B", "C", None)),
    }
    if common["source"] is Source.REFERRAL:
        common["referrer"] = chinese_name(rng)
    if i % 4 == 3:
        name = f"{province[:2]}{''.join(rng.sample(COMPANY_WORDS, 2))}{rng.choice(COMPANY_KINDS)}"
        name += f"{i}有限公司"
        contact = ContactPerson(chinese_name(rng), "经理", [mobile(rng)], [], True)
        return NewCustomer(
            kind=CustomerKind.ENTERPRISE,
            name=name,
            uscc=uscc(rng, code + "01"),
            industry=rng.choice(INDUSTRIES),
            contacts=[contact],
            **common,  # type: ignore[arg-type]
        )
    if i % 4 == 2:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        return NewCustomer(
            kind=CustomerKind.INDIVIDUAL,
            name=f"{first} {last}",
            phones=[f"+1415{rng.randrange(10**7):07d}"],
            emails=[f"{first}.{last}{i}@example.com".lower()],
            **common,  # type: ignore[arg-type]
        )
    return NewCustomer(
        kind=CustomerKind.INDIVIDUAL,
        name=chinese_name(rng),
        phones=[mobile(rng)],
        emails=[f"user{i}@example.cn"] if i % 3 == 0 else [],
        id_card_number=id_card(rng, code),
        **common,  # type: ignore[arg-type]
    )


def graphql_input(new: NewCustomer) -> dict[str, object]:
    """The `CreateCustomerInput` for a generated customer (for the gateway and `make seed`)."""
    out: dict[str, object] = {
        "kind": str(new.kind),
        "name": new.name,
        "stage": str(new.stage),
        "tags": list(new.tags),
        "phones": list(new.phones),
        "emails": list(new.emails),
        "ownerId": new.owner_id,
        "team": new.team,
        "tier": new.tier,
        "addresses": [
            {"province": a.province, "city": a.city, "district": a.district, "street": a.street}
            for a in new.addresses
        ],
        "contacts": [
            {"name": c.name, "title": c.title, "phones": c.phones, "emails": c.emails,
             "primary": c.primary}
            for c in new.contacts
        ],
    }  # fmt: skip
    optional = {
        "source": new.source,
        "referrer": new.referrer,
        "idCardNumber": new.id_card_number,
        "uscc": new.uscc,
        "industry": new.industry,
    }
    out.update({k: str(v) for k, v in optional.items() if v is not None})
    return out
