"""Schemas shared across domains: health, pagination."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate


# Ids are positive 32-bit integers, as in URL paths (ecrf.app.DatabaseId): a larger one is a 422,
# never a database overflow. Counts and repeat keys share a smaller bound.
ID_RANGE = validate.Range(min=1, max=2**31 - 1)
COUNT_RANGE = validate.Range(min=1, max=10000)


class StrictSchema(ma.Schema):
    """Unknown fields are refused (marshmallow's default, made explicit)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class HealthSchema(StrictSchema):
    status = fields.String(required=True)
    database = fields.String()


class PageArgs(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class PageMeta(StrictSchema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A ``{"items": [...], "page", "per_page", "total"}`` envelope for a list endpoint."""
    return type(name, (StrictSchema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "total": fields.Integer(),
    })


def paginate(session, statement, page: int, per_page: int) -> dict:
    from sqlalchemy import func, select

    total = session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    items = list(session.execute(statement.limit(per_page).offset((page - 1) * per_page)).scalars())
    return {"items": items, "page": page, "per_page": per_page, "total": total}
