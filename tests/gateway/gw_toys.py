"""Toy Federation v2 subgraphs (strawberry) for the gateway tests, and a recording ASGI wrapper.

products  owns Product @key(upc) and the union SearchResult; root queries and mutations
reviews   extends Product (reviews, reviewCount) and User (reviews); Review.author @provides
inventory extends Product with inStock and shippingEstimate @requires(price weight)
accounts  owns User @key(id) and the interface Account (User, Admin)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Annotated, Any

import orjson
import strawberry
from graphql import GraphQLError
from strawberry import federation
from strawberry.asgi import GraphQL
from strawberry.file_uploads import Upload
from strawberry.types import Info

# ---------------------------------------------------------------------------- recording


@dataclass
class Recorder:
    """Counts requests reaching a subgraph and keeps their bodies and headers."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        self.requests.clear()
        self.headers.clear()

    @property
    def entity_calls(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "_entities" in r.get("query", "")]

    def representations(self) -> list[dict[str, Any]]:
        reps: list[dict[str, Any]] = []
        for request in self.entity_calls:
            for value in (request.get("variables") or {}).values():
                if isinstance(value, list):
                    reps.extend(value)
        return reps


class Recording:
    """ASGI wrapper that records each GraphQL POST before passing it on."""

    def __init__(self, app: Any, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            payload = {}
        query = str(payload.get("query", ""))
        if "_service" not in query and query != "{ __typename }":  # not SDL loads or probes
            self.recorder.requests.append(payload)
            self.recorder.headers.append(
                {k.decode(): v.decode() for k, v in scope.get("headers", [])}
            )
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# ---------------------------------------------------------------------------- products

PRODUCT_COUNT = {"n": 3}


def product_data(upc: str) -> dict[str, Any]:
    number = int(upc.removeprefix("p"))
    return {"upc": upc, "name": f"Product {number}", "price": 10 * number, "weight": number}


@federation.type(keys=["upc"])
class Product:
    upc: str
    name: str | None
    price: int | None
    weight: int | None
    internal_code: str | None = federation.field(inaccessible=True, default="secret")

    @classmethod
    def resolve_reference(cls, upc: str) -> Product:
        return Product(**product_data(upc))


@strawberry.type
class Category:
    id: strawberry.ID
    title: str


SearchResult = Annotated[Product | Category, strawberry.union("SearchResult")]

MUTATION_LOG: list[str] = []


@strawberry.type
class ProductsQuery:
    @strawberry.field
    def top_products(self, first: int = 3) -> list[Product]:
        return [Product(**product_data(f"p{i}")) for i in range(1, first + 1)]

    @strawberry.field
    def product(self, upc: str) -> Product | None:
        if upc == "missing":
            raise GraphQLError(
                "Product missing not found", extensions={"code": "NOT_FOUND", "id": upc}
            )
        return Product(**product_data(upc))

    @strawberry.field
    def search(self, text: str) -> list[SearchResult]:
        return [
            Product(**product_data("p1")),
            Category(id=strawberry.ID("c1"), title=f"Category {text}"),
            Product(**product_data("p2")),
        ]

    @strawberry.field
    def broken(self) -> str | None:
        raise RuntimeError("pymongo.errors.ServerSelectionTimeoutError: 10.0.0.5:27017 refused")

    @strawberry.field
    def flaky(self) -> str | None:
        """What crm_kit's error masking sends for a transient database failure."""
        raise GraphQLError(
            "Temporarily unavailable; retry the request (request id sub-7)",
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": "sub-7", "retryable": True},
        )


@strawberry.type
class StoredFile:
    name: str
    content_type: str
    size: int
    text: str


async def _stored(file: Upload) -> StoredFile:
    content = await file.read()  # type: ignore[attr-defined]
    return StoredFile(
        name=file.filename,  # type: ignore[attr-defined]
        content_type=file.content_type,  # type: ignore[attr-defined]
        size=len(content),
        text=content.decode("utf-8", "replace")[:100],
    )


@strawberry.input
class ImportInput:
    file: Upload
    dry_run: bool = True


@strawberry.type
class ProductsMutation:
    @strawberry.mutation
    async def upload_products(self, file: Upload, note: str | None = None) -> StoredFile:
        MUTATION_LOG.append(f"upload:{note}")
        return await _stored(file)

    @strawberry.mutation
    async def upload_many(self, files: list[Upload]) -> list[StoredFile]:
        return [await _stored(file) for file in files]

    @strawberry.mutation
    async def import_products(self, input: ImportInput) -> StoredFile:
        stored = await _stored(input.file)
        stored.name = f"{stored.name} dryRun={input.dry_run}"
        return stored

    @strawberry.mutation
    def create_conflicting(self, upc: str) -> Product:
        raise GraphQLError(
            "A product with this code exists",
            extensions={"code": "CONFLICT", "conflictingId": "p1"},
        )

    @strawberry.mutation
    async def create_product(self, upc: str, name: str) -> Product:
        await asyncio.sleep(0.02)
        MUTATION_LOG.append(f"create:{upc}")
        return Product(upc=upc, name=name, price=1, weight=1)

    @strawberry.mutation
    def rename_product(self, upc: str, name: str) -> Product:
        MUTATION_LOG.append(f"rename:{upc}")
        if not name.strip():
            raise GraphQLError(
                "Invalid input",
                extensions={
                    "code": "BAD_USER_INPUT",
                    "fieldErrors": [{"field": "name", "code": "REQUIRED", "message": "empty"}],
                },
            )
        return Product(upc=upc, name=name, price=1, weight=1)


products_schema = federation.Schema(
    query=ProductsQuery, mutation=ProductsMutation, types=[Product, Category]
)

# ---------------------------------------------------------------------------- reviews


@federation.type(keys=["id"])
class User:
    id: strawberry.ID
    username: str | None = federation.field(external=True, default=None)
    code: str | None = federation.field(shareable=True, default=None)

    @strawberry.field
    def reviews(self) -> list[Review]:
        return [
            Review(
                id=strawberry.ID(f"r-{self.id}"),
                body=f"review by {self.id}",
                author_id=str(self.id),
            )
        ]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return User(id=id)


@strawberry.type
class Review:
    id: strawberry.ID
    body: str
    author_id: strawberry.Private[str]

    @federation.field(provides=["username"])
    def author(self) -> User:
        return User(id=strawberry.ID(self.author_id), username=f"provided-{self.author_id}")

    @strawberry.field
    def forbidden_note(self) -> str | None:
        raise GraphQLError("Not allowed to read notes", extensions={"code": "FORBIDDEN"})


@federation.type(keys=["upc"], name="Product")
class ReviewedProduct:
    upc: str

    @strawberry.field
    def reviews(self) -> list[Review]:
        number = int(self.upc.removeprefix("p")) if self.upc.startswith("p") else 0
        return [
            Review(
                id=strawberry.ID(f"{self.upc}-r{i}"),
                body=f"{self.upc} review {i}",
                author_id=f"u{(number + i) % 4}",
            )
            for i in range(2)
        ]

    @strawberry.field
    def review_count(self) -> int:
        return 2

    @classmethod
    def resolve_reference(cls, upc: str) -> ReviewedProduct:
        return ReviewedProduct(upc=upc)


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def latest_reviews(self) -> list[Review]:
        return [Review(id=strawberry.ID("r1"), body="latest", author_id="u1")]

    @strawberry.field
    async def slow(self) -> str | None:
        await asyncio.sleep(1.5)
        return "slow"

    @strawberry.field
    async def nap(self, ms: int, info: Info) -> str:
        await asyncio.sleep(ms / 1000)
        return str(info.context["request"].headers.get("authorization", ""))[-6:]


@strawberry.type
class ReviewsMutation:
    @strawberry.mutation
    def add_review(self, upc: str, body: str) -> Review:
        MUTATION_LOG.append(f"review:{upc}")
        return Review(id=strawberry.ID("new"), body=body, author_id="u1")

    @strawberry.mutation
    async def attach_photo(self, file: Upload) -> int:
        return len(await file.read())  # type: ignore[attr-defined]


LIVE_STREAMS = {"open": 0}


@strawberry.type
class ReviewsSubscription:
    @strawberry.subscription
    async def review_added(self, upc: str, count: int = 3) -> AsyncGenerator[Review]:
        """`count` reviews of `upc`, then the end; a negative count streams until cancelled."""
        LIVE_STREAMS["open"] += 1
        try:
            number = 0
            while count < 0 or number < count:
                yield Review(
                    id=strawberry.ID(f"{upc}-live{number}"),
                    body=f"live {number} on {upc}",
                    author_id=f"u{number % 4}",
                )
                number += 1
                await asyncio.sleep(0.02)
        finally:
            LIVE_STREAMS["open"] -= 1

    @strawberry.subscription
    async def seen_authorization(self, info: Info) -> AsyncGenerator[str | None]:
        yield info.context["request"].headers.get("authorization")


reviews_schema = federation.Schema(
    query=ReviewsQuery,
    mutation=ReviewsMutation,
    subscription=ReviewsSubscription,
    types=[User, ReviewedProduct],
)

# ---------------------------------------------------------------------------- inventory


@federation.type(keys=["upc"], name="Product")
class InventoryProduct:
    upc: str
    price: int | None = federation.field(external=True, default=None)
    weight: int | None = federation.field(external=True, default=None)

    @strawberry.field
    def in_stock(self) -> bool:
        return int(self.upc.removeprefix("p") or 0) % 2 == 1

    @federation.field(requires=["price weight"])
    def shipping_estimate(self) -> int | None:
        if self.price is None or self.weight is None:
            return None
        return 0 if self.price > 20 else self.weight * 2

    @classmethod
    def resolve_reference(
        cls, upc: str, price: int | None = None, weight: int | None = None
    ) -> InventoryProduct:
        return InventoryProduct(upc=upc, price=price, weight=weight)


@strawberry.type
class InventoryQuery:
    @strawberry.field
    def warehouse_name(self) -> str:
        return "Main"


inventory_schema = federation.Schema(query=InventoryQuery, types=[InventoryProduct])

# ---------------------------------------------------------------------------- accounts


@federation.interface
class Account:
    id: strawberry.ID
    username: str


@federation.type(keys=["id"], name="User")
class AccountUser(Account):
    name: str = federation.field(tags=["public"])
    # `String!` here but `String` in reviews (so `String` in the supergraph), and `String` on
    # Admin: side by side in one accounts fetch the two `code` fields conflict
    code: str = federation.field(shareable=True, default="user-code")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> AccountUser:
        return AccountUser(id=id, username=f"user-{id}", name=f"Name {id}")


@strawberry.type
class Admin(Account):
    level: int
    code: str | None = "admin-code"


@strawberry.type
class AccountsQuery:
    @strawberry.field
    def me(self) -> AccountUser:
        return AccountUser(id=strawberry.ID("u1"), username="user-u1", name="Name u1")

    @strawberry.field
    def accounts(self) -> list[Account]:
        return [
            AccountUser(id=strawberry.ID("u2"), username="user-u2", name="Name u2"),
            Admin(id=strawberry.ID("a1"), username="root", level=9),
        ]

    @strawberry.field
    def whoami(self, info: Info) -> str:
        request = info.context["request"]
        return orjson.dumps(
            {
                "authorization": request.headers.get("authorization"),
                "x-request-id": request.headers.get("x-request-id"),
                "traceparent": request.headers.get("traceparent"),
                "accept-language": request.headers.get("accept-language"),
                "x-forwarded-for": request.headers.get("x-forwarded-for"),
            }
        ).decode()


accounts_schema = federation.Schema(query=AccountsQuery, types=[AccountUser, Admin])

SCHEMAS = {
    "products": products_schema,
    "reviews": reviews_schema,
    "inventory": inventory_schema,
    "accounts": accounts_schema,
}


def subgraph_app(name: str, recorder: Recorder) -> Recording:
    return Recording(
        GraphQL(SCHEMAS[name], graphql_ide=None, multipart_uploads_enabled=True), recorder
    )
