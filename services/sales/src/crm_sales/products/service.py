"""Catalogue use cases (ADMIN): products and price books, each change in one unit of work;
and `Pricing`, which prices an opportunity's line items from a price book inside the
opportunity's own transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from crm_kit import audit
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput
from crm_kit.events import new_id
from crm_kit.idempotency import key_for
from crm_kit.mongo import Session
from crm_kit.uow import Transaction
from crm_sales.line_items.model import LineItem, LineItemInput, price_lines
from crm_sales.products import model
from crm_sales.products.model import NewProduct, PriceBook, Product
from crm_sales.products.store import PriceBookRepository, ProductRepository
from crm_sales.shared.versioning import load_for_change
from crm_sales.shared.writes import Writes, require_admin

type BookChange = Callable[[PriceBook, Session], Awaitable[PriceBook]]


@dataclass(frozen=True, slots=True)
class ProductChanges:
    """What updateProduct changes (None: unchanged); the code never changes."""

    name_zh: str | None = None
    name_en: str | None = None
    unit: str | None = None
    active: bool | None = None


class ProductService:
    def __init__(
        self, writes: Writes, products: ProductRepository, books: PriceBookRepository
    ) -> None:
        self._writes = writes
        self._products = products
        self._books = books

    async def create_product(
        self, principal: Principal, command: NewProduct, idempotency_key: str | None = None
    ) -> Product:
        require_admin(principal)
        key = key_for("createProduct", principal, idempotency_key, command)
        product = model.define_product(command, id=new_id())
        writes = self._writes

        async def work(tx: Transaction) -> Product:
            now = writes.now()
            await writes.guards.claim(key, product.id, now, tx.session)
            await self._products.add(product, now, tx.session)
            audit.record(
                tx, "product.create", "Product", product.id, details={"code": product.code}
            )
            return product

        async def write() -> Product:
            return await writes.uow.run(work)

        return await writes.guards.once(key, "product", self._products.get, write)

    async def update_product(
        self,
        principal: Principal,
        product_id: str,
        changes: ProductChanges,
        expected_version: int | None = None,
    ) -> Product:
        require_admin(principal)

        async def work(tx: Transaction) -> Product:
            current = await load_for_change(
                self._products.get,
                "Product",
                product_id,
                expected_version=expected_version,
                session=tx.session,
            )
            command = NewProduct(
                current.code,
                current.name_zh if changes.name_zh is None else changes.name_zh,
                current.name_en if changes.name_en is None else changes.name_en,
                current.unit if changes.unit is None else changes.unit,
                current.active if changes.active is None else changes.active,
            )
            changed = model.define_product(command, id=current.id, version=current.version + 1)
            await self._products.replace(changed, current.version, self._writes.now(), tx.session)
            audit.record(tx, "product.update", "Product", product_id)
            return changed

        return await self._writes.uow.run(work)

    async def create_price_book(
        self, principal: Principal, name: str, currency: str, active: bool = True
    ) -> PriceBook:
        require_admin(principal)
        book = model.define_price_book(name, currency, id=new_id(), active=active)

        async def work(tx: Transaction) -> PriceBook:
            await self._books.add(book, self._writes.now(), tx.session)
            audit.record(tx, "price_book.create", "PriceBook", book.id)
            return book

        return await self._writes.uow.run(work)

    async def update_price_book(
        self,
        principal: Principal,
        book_id: str,
        *,
        name: str | None = None,
        active: bool | None = None,
        expected_version: int | None = None,
    ) -> PriceBook:
        require_admin(principal)

        async def change(book: PriceBook, _session: Session) -> PriceBook:
            renamed = model.define_price_book(
                book.name if name is None else name, book.currency, id=book.id
            )
            kept = book.active if active is None else active
            return replace(book, name=renamed.name, active=kept, version=book.version + 1)

        return await self._change_book(book_id, change, "price_book.update", expected_version)

    async def save_price(
        self, principal: Principal, book_id: str, product_id: str, list_price: str
    ) -> PriceBook:
        """The product's list price in the book (added or replaced)."""
        require_admin(principal)

        async def change(book: PriceBook, session: Session) -> PriceBook:
            product = await self._products.get(product_id, session)
            if product is None:
                raise BadUserInput.single(
                    "productId", "UNKNOWN_PRODUCT", f"no product {product_id}"
                )
            return model.set_list_price(book, product, list_price)

        return await self._change_book(book_id, change, "price_book.save_price", None)

    async def delete_price(self, principal: Principal, book_id: str, product_id: str) -> PriceBook:
        require_admin(principal)

        async def change(book: PriceBook, _session: Session) -> PriceBook:
            return model.remove_list_price(book, product_id)

        return await self._change_book(book_id, change, "price_book.delete_price", None)

    async def _change_book(
        self, book_id: str, change: BookChange, action: str, expected_version: int | None
    ) -> PriceBook:
        async def work(tx: Transaction) -> PriceBook:
            current = await load_for_change(
                self._books.get,
                "PriceBook",
                book_id,
                expected_version=expected_version,
                session=tx.session,
            )
            changed = await change(current, tx.session)
            await self._books.replace(changed, current.version, self._writes.now(), tx.session)
            audit.record(tx, action, "PriceBook", book_id)
            return changed

        return await self._writes.uow.run(work)


class Pricing:
    """Prices an opportunity's line items from a price book, in the caller's transaction."""

    def __init__(self, products: ProductRepository, books: PriceBookRepository) -> None:
        self._products = products
        self._books = books

    async def price(
        self,
        items: Sequence[LineItemInput],
        *,
        currency: str,
        book_id: str | None,
        session: Session,
    ) -> tuple[LineItem, ...]:
        """Every line priced (LineItemError naming each bad line); no lines: none. Without a
        `book_id`, the one active book in the deal's currency (none or several:
        `priceBookId` REQUIRED)."""
        if not items:
            return ()
        book = await self._book(book_id, currency, session)
        ids = list(dict.fromkeys(item.product_id for item in items))
        products = await self._products.get_many(ids, session)
        return price_lines(items, products=products, book=book, currency=currency)

    async def _book(self, book_id: str | None, currency: str, session: Session) -> PriceBook:
        if book_id is not None:
            found = await self._books.get(book_id, session)
            if found is None:
                raise BadUserInput.single(
                    "priceBookId", "UNKNOWN_PRICE_BOOK", f"no price book {book_id}"
                )
            return found
        books = await self._books.active_in(currency, session)
        if len(books) != 1:
            raise BadUserInput.single(
                "priceBookId",
                "REQUIRED",
                f"name the price book: {len(books)} active {currency} price books",
            )
        return books[0]
