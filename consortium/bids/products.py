"""A vendor's products: what its bids name (a bid keeps the product it was submitted with)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from consortium.accounts.models import Organisation
from consortium.audit.services import record
from consortium.bids.models import BidVersion, Product
from consortium.errors import DomainError, conflict
from consortium.extensions import db


def save_product(vendor: Organisation, product: Product | None, **fields: str) -> Product:
    """Create (product None) or update one of the vendor's products."""
    before = _product_snapshot(product) if product else None
    if product is None:
        product = Product(vendor_id=vendor.id)
        db.session.add(product)
    for name in ("name", "category", "description", "sku"):
        setattr(product, name, (fields.get(name) or "").strip())
    db.session.flush()
    record(
        "product.updated" if before else "product.created",
        product,
        before=before,
        after=_product_snapshot(product),
    )
    return product


def fits_category(product: Product, category: str) -> bool:
    """The product is of the solicitation's category (as people type it: case and spaces aside)."""
    return " ".join((product.category or "").split()).casefold() == " ".join(category.split()).casefold()


def check_fits(product: Product, category: str) -> None:
    """Refuse a bid naming a product of another category (an LMS on a math solicitation)."""
    if fits_category(product, category):
        return
    kind = f"a {product.category} product" if product.category else "a product without a category"
    raise DomainError(
        f"{product.name} is {kind}; this solicitation buys {category}. Choose a product of that "
        "category, or set this product's category on the Products page.",
        field="product",
    )


def delete_product(product: Product) -> None:
    """Delete a product no bid names (bids keep what they were submitted with)."""
    used = db.session.scalar(
        select(func.count()).select_from(BidVersion).where(BidVersion.product_id == product.id)
    )
    if used:
        raise conflict("this product is named in a bid and cannot be deleted", field="product")
    record("product.deleted", product, before=_product_snapshot(product), after=None)
    db.session.delete(product)
    db.session.flush()


def _product_snapshot(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "category": product.category,
        "description": product.description,
        "sku": product.sku,
    }


def vendor_products(vendor_id: int) -> list[Product]:
    return list(
        db.session.scalars(
            select(Product).where(Product.vendor_id == vendor_id).order_by(Product.name)
        )
    )
