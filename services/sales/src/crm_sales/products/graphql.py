"""GraphQL of the catalogue: products and price books, read by whoever may read
opportunities, written by ADMIN."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from crm_kit.errors import NotFound
from crm_kit.graphql import ExpectedVersion, PageAfter, PageFirst, PageInfo, page_info
from crm_kit.idempotency_keys import KEY_MAX_CHARS
from crm_kit.paging import page_size
from crm_sales import access
from crm_sales.graphql.common import MoneyType, in_language
from crm_sales.graphql.context import Info
from crm_sales.money.model import Money
from crm_sales.products import model
from crm_sales.products.model import BOOK_NAME_MAX_CHARS, NAME_MAX_CHARS, UNIT_MAX_CHARS
from crm_sales.products.queries import MAX_BOOKS
from crm_sales.products.service import ProductChanges

_READERS = "Roles that may read opportunities (others: FORBIDDEN)."


def product_loader(info: Info) -> DataLoader[str, model.Product | None]:
    queries = info.context.deps.product_queries

    async def load(ids: list[str]) -> list[model.Product | None]:
        found = await queries.get_many(ids)
        return [found.get(i) for i in ids]

    return info.context.loader("sales.products", load)


@strawberry.type(name="Product", description="Something that can be sold.")
class ProductType:
    id: strawberry.ID = strawberry.field(description="The product's id.")
    code: str = strawberry.field(description="Its unique code (upper case).")
    name_zh: str = strawberry.field(description="Its name in Chinese.")
    name_en: str = strawberry.field(description="Its name in English.")
    unit: str = strawberry.field(description="What one of it is (套, 年, seat).")
    active: bool = strawberry.field(
        description="Whether it may be added to deals (an inactive one stays on the deals "
        "that hold it)."
    )
    version: int = strawberry.field(description="+1 per change: the `expectedVersion` of the next.")

    @strawberry.field(description="Its name in the caller's language (Accept-Language).")
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)

    @classmethod
    def of(cls, p: model.Product) -> ProductType:
        return cls(
            id=strawberry.ID(p.id),
            code=p.code,
            name_zh=p.name_zh,
            name_en=p.name_en,
            unit=p.unit,
            active=p.active,
            version=p.version,
        )


@strawberry.type(description="A product and its cursor.")
class ProductEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: ProductType = strawberry.field(description="The product.")


@strawberry.type(description="A page of products, by code.")
class ProductConnection:
    edges: list[ProductEdge] = strawberry.field(description="This page's products.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All products of the list, not only this page.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type(description="A product's list price in a price book.")
class PriceBookEntry:
    product_id: strawberry.ID = strawberry.field(description="The product's id.")
    list_price: MoneyType = strawberry.field(description="Its list price, in the book's currency.")

    @strawberry.field(description="The product; null when it is no longer in the catalogue.")
    async def product(self, info: Info) -> ProductType | None:
        found = await product_loader(info).load(str(self.product_id))
        return ProductType.of(found) if found is not None else None


@strawberry.type(name="PriceBook", description="List prices in one currency.")
class PriceBookType:
    id: strawberry.ID = strawberry.field(description="The price book's id.")
    name: str = strawberry.field(description="Its name.")
    currency: str = strawberry.field(
        description="The currency of its prices; deals in it price their line items from it."
    )
    active: bool = strawberry.field(description="Whether deals may be priced from it.")
    version: int = strawberry.field(description="+1 per change: the `expectedVersion` of the next.")
    entries: list[PriceBookEntry] = strawberry.field(
        description="Its list prices, by product id; a product missing here cannot be sold "
        "from this book."
    )

    @classmethod
    def of(cls, book: model.PriceBook) -> PriceBookType:
        return cls(
            id=strawberry.ID(book.id),
            name=book.name,
            currency=book.currency,
            active=book.active,
            version=book.version,
            entries=[
                PriceBookEntry(
                    product_id=strawberry.ID(product),
                    list_price=MoneyType(
                        amount=Money(price, book.currency).text, currency=book.currency
                    ),
                )
                for product, price in sorted(book.prices.items())
            ],
        )


@strawberry.input(description="A product to add to the catalogue.")
class CreateProductInput:
    code: str = strawberry.field(
        description="Unique code: A-Z, 0-9, '.', '_' or '-', 1–40 characters (upper-cased)."
    )
    name_zh: str = strawberry.field(default="", description=f"Chinese name, ≤{NAME_MAX_CHARS}.")
    name_en: str = strawberry.field(
        default="",
        description=f"English name, ≤{NAME_MAX_CHARS} (one of the two is required).",
    )
    unit: str = strawberry.field(description=f"The unit sold, 1–{UNIT_MAX_CHARS} characters.")
    active: bool = strawberry.field(default=True, description="Whether it may be sold now.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=f"Retrying with the same key returns the first product (1–{KEY_MAX_CHARS} "
        "characters, per caller; reused for a different product: CONFLICT).",
    )


@strawberry.input(description="What updateProduct changes; an omitted field stays as it is.")
class UpdateProductInput:
    name_zh: str | None = strawberry.field(default=None, description="Chinese name.")
    name_en: str | None = strawberry.field(default=None, description="English name.")
    unit: str | None = strawberry.field(default=None, description="The unit sold.")
    active: bool | None = strawberry.field(default=None, description="Whether it may be sold.")


@strawberry.input(description="A price book to create (empty: add prices with savePriceBookEntry).")
class CreatePriceBookInput:
    name: str = strawberry.field(description=f"Its name, 1–{BOOK_NAME_MAX_CHARS} characters.")
    currency: str = strawberry.field(description="The ISO 4217 currency of its prices.")
    active: bool = strawberry.field(default=True, description="Whether deals may use it now.")


@strawberry.input(description="What updatePriceBook changes; an omitted field stays as it is.")
class UpdatePriceBookInput:
    name: str | None = strawberry.field(default=None, description="Its name.")
    active: bool | None = strawberry.field(default=None, description="Whether deals may use it.")


@strawberry.input(description="A product's list price in a price book.")
class SavePriceBookEntryInput:
    price_book_id: strawberry.ID = strawberry.field(description="The price book.")
    product_id: strawberry.ID = strawberry.field(description="The product (it may be inactive).")
    list_price: str = strawberry.field(
        description="A decimal string in the book's currency, not negative, with at most its "
        "decimal places."
    )


@strawberry.type(description="A product a mutation wrote.")
class ProductPayload:
    product: ProductType = strawberry.field(description="The product as saved.")


@strawberry.type(description="A price book a mutation wrote.")
class PriceBookPayload:
    price_book: PriceBookType = strawberry.field(description="The price book as saved.")


ProductId = Annotated[strawberry.ID, strawberry.argument(description="The product's id.")]
BookId = Annotated[strawberry.ID, strawberry.argument(description="The price book's id.")]
_ADMIN = "ADMIN only."


@strawberry.type
class ProductQuery:
    @strawberry.field(
        description=f"Products by code. {_READERS} Errors: BAD_USER_INPUT (`first` "
        "OUT_OF_RANGE; `after` INVALID_CURSOR)."
    )
    async def products(
        self,
        info: Info,
        active: Annotated[
            bool | None,
            strawberry.argument(description="Only active (true) or inactive (false) ones."),
        ] = None,
        first: PageFirst = 20,
        after: PageAfter = None,
    ) -> ProductConnection:
        access.require_reader(info.context.principal)
        queries = info.context.deps.product_queries
        page = await queries.page(active, page_size(first), after)
        return ProductConnection(
            edges=[
                ProductEdge(cursor=c, node=ProductType.of(p))
                for p, c in zip(page.items, page.cursors, strict=True)
            ],
            page_info=page_info(page.cursors, page.has_next, after is not None),
            count=lambda: queries.count(active),
        )

    @strawberry.field(description=f"One product; null with NOT_FOUND when unknown. {_READERS}")
    async def product(self, info: Info, id: ProductId) -> ProductType | None:
        access.require_reader(info.context.principal)
        found = await product_loader(info).load(str(id))
        if found is None:
            raise NotFound("Product", str(id))
        return ProductType.of(found)

    @strawberry.field(
        description=f"Price books (of one currency), by currency and name; at most {MAX_BOOKS}. "
        + _READERS
    )
    async def price_books(
        self,
        info: Info,
        currency: Annotated[
            str | None, strawberry.argument(description="Only this currency's books.")
        ] = None,
    ) -> list[PriceBookType]:
        access.require_reader(info.context.principal)
        return [
            PriceBookType.of(b) for b in await info.context.deps.product_queries.books(currency)
        ]

    @strawberry.field(description=f"One price book; null with NOT_FOUND when unknown. {_READERS}")
    async def price_book(self, info: Info, id: BookId) -> PriceBookType | None:
        access.require_reader(info.context.principal)
        found = await info.context.deps.product_queries.book(str(id))
        if found is None:
            raise NotFound("PriceBook", str(id))
        return PriceBookType.of(found)


@strawberry.type
class ProductMutation:
    @strawberry.mutation(
        description=f"Add a product. {_ADMIN} Errors: BAD_USER_INPUT (`code` INVALID; `nameZh` "
        "REQUIRED, TOO_LONG; `unit` REQUIRED, TOO_LONG; `idempotencyKey` REQUIRED, TOO_LONG), "
        "CONFLICT (the code is taken: `conflictingId` names its product; or the key was used "
        "for another product), FORBIDDEN."
    )
    async def create_product(
        self,
        info: Info,
        input: Annotated[CreateProductInput, strawberry.argument(description="The product.")],
    ) -> ProductPayload:
        command = model.NewProduct(
            input.code, input.name_zh, input.name_en, input.unit, input.active
        )
        created = await info.context.deps.products.create_product(
            info.context.principal, command, input.idempotency_key
        )
        return ProductPayload(product=ProductType.of(created))

    @strawberry.mutation(
        description=f"Change a product's names, unit or activity (its code stays). {_ADMIN} "
        "Errors: BAD_USER_INPUT (`nameZh` REQUIRED, TOO_LONG; `unit` REQUIRED, TOO_LONG), "
        "NOT_FOUND, CONFLICT (expectedVersion), FORBIDDEN."
    )
    async def update_product(
        self,
        info: Info,
        id: ProductId,
        input: Annotated[UpdateProductInput, strawberry.argument(description="The changes.")],
        expected_version: ExpectedVersion = None,
    ) -> ProductPayload:
        changes = ProductChanges(input.name_zh, input.name_en, input.unit, input.active)
        changed = await info.context.deps.products.update_product(
            info.context.principal, str(id), changes, expected_version
        )
        return ProductPayload(product=ProductType.of(changed))

    @strawberry.mutation(
        description=f"Create a price book. {_ADMIN} Errors: BAD_USER_INPUT (`name` REQUIRED, "
        "TOO_LONG; `currency` INVALID_CURRENCY), FORBIDDEN."
    )
    async def create_price_book(
        self,
        info: Info,
        input: Annotated[CreatePriceBookInput, strawberry.argument(description="The book.")],
    ) -> PriceBookPayload:
        created = await info.context.deps.products.create_price_book(
            info.context.principal, input.name, input.currency, input.active
        )
        return PriceBookPayload(price_book=PriceBookType.of(created))

    @strawberry.mutation(
        description=f"Rename a price book or (de)activate it. {_ADMIN} Errors: BAD_USER_INPUT "
        "(`name` REQUIRED, TOO_LONG), NOT_FOUND, CONFLICT (expectedVersion), FORBIDDEN."
    )
    async def update_price_book(
        self,
        info: Info,
        id: BookId,
        input: Annotated[UpdatePriceBookInput, strawberry.argument(description="The changes.")],
        expected_version: ExpectedVersion = None,
    ) -> PriceBookPayload:
        changed = await info.context.deps.products.update_price_book(
            info.context.principal,
            str(id),
            name=input.name,
            active=input.active,
            expected_version=expected_version,
        )
        return PriceBookPayload(price_book=PriceBookType.of(changed))

    @strawberry.mutation(
        description=f"Set a product's list price in a price book (added or replaced). {_ADMIN} "
        "Errors: BAD_USER_INPUT (`productId` UNKNOWN_PRODUCT; `listPrice` INVALID, "
        "FLOAT_NOT_ALLOWED, NOT_FINITE, NEGATIVE, PRECISION, OUT_OF_RANGE), NOT_FOUND (the "
        "book), FORBIDDEN."
    )
    async def save_price_book_entry(
        self,
        info: Info,
        input: Annotated[SavePriceBookEntryInput, strawberry.argument(description="The price.")],
    ) -> PriceBookPayload:
        changed = await info.context.deps.products.save_price(
            info.context.principal,
            str(input.price_book_id),
            str(input.product_id),
            input.list_price,
        )
        return PriceBookPayload(price_book=PriceBookType.of(changed))

    @strawberry.mutation(
        description=f"Remove a product from a price book (deals already priced keep their "
        f"lines). {_ADMIN} Errors: NOT_FOUND (the book), FORBIDDEN."
    )
    async def delete_price_book_entry(
        self,
        info: Info,
        price_book_id: BookId,
        product_id: ProductId,
    ) -> PriceBookPayload:
        changed = await info.context.deps.products.delete_price(
            info.context.principal, str(price_book_id), str(product_id)
        )
        return PriceBookPayload(price_book=PriceBookType.of(changed))
