"""The customer service over real HTTP for the master-data tests: a handle with create and
search helpers, and the constants they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_customer.customers.queries import CustomerQueries as CustomerRepository
from crm_customer.protection.crypto import DataProtector
from tests.harness import ServiceHandle
from tests.support import auth_headers

ID_CARD = "11010519491231002X"
USCC = "91350100M000100Y43"
SALES = auth_headers(sub="sam", roles=("SALES",), team="east")
FIELDS = "id version displayName stage tags phones region industry idCardNumber birthday gender"
CREATE = (
    f"mutation($input: CreateCustomerInput!) {{ createCustomer(input: $input) {{ {FIELDS} }} }}"
)
SEARCH = """query($f: CustomerFilterInput, $first: Int, $after: String,
  $order: CustomerOrderInput) {
  customers(filter: $f, first: $first, after: $after, orderBy: $order) {
    totalCount edges { node { id displayName } } pageInfo { hasNextPage endCursor } } }"""
# `orderBy` values of the customer list
CREATED_DESC = {"field": "CREATED_AT", "direction": "DESC"}
CREATED_ASC = {"field": "CREATED_AT", "direction": "ASC"}
UPDATED_DESC = {"field": "UPDATED_AT", "direction": "DESC"}
UPDATED_ASC = {"field": "UPDATED_AT", "direction": "ASC"}


@dataclass
class Service(ServiceHandle):
    @property
    def repo(self) -> CustomerRepository:
        return CustomerRepository(self.db, DataProtector.from_env())

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = await self.gql(CREATE, {"input": {"kind": "INDIVIDUAL", **fields}})
        assert "errors" not in body, body
        return dict(body["data"]["createCustomer"])

    async def search(self, **f: Any) -> list[str]:
        body = await self.gql(SEARCH, {"f": f, "first": 100})
        assert "errors" not in body, body
        names = [e["node"]["displayName"] for e in body["data"]["customers"]["edges"]]
        assert body["data"]["customers"]["totalCount"] == len(names)
        return sorted(names)
