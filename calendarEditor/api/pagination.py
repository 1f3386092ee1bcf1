"""Limit/offset pagination for the API's lists, with bounds the database can always take."""

from typing import TypeVar

from django.db.models import Model, QuerySet
from ninja import Field, Schema

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Far beyond any real history, and far inside what SQLite and PostgreSQL accept as OFFSET.
MAX_OFFSET = 1_000_000

M = TypeVar("M", bound=Model)


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


def page_of(queryset: QuerySet[M], params: PageParams) -> tuple[list[M], int]:
    """One page of an ordered queryset and the total count (two queries)."""
    items = list(queryset[params.offset : params.offset + params.limit])
    return items, queryset.count()
