"""The board's machine table, rendered once for each change of what it shows.

Every signed-in page view of the board, and every live re-fetch after any queue
change anywhere, wants the same table: 50 machines with their status, queue,
running entry and temperature. Rendering it costs far more than serving the page
around it, so the HTML is kept in a process-local cache under a key that says
exactly what it was rendered from:

- a fingerprint read by one aggregate query: the machines' count, the sum of their
  queue versions (every queue change bumps one, under the machine's lock), their
  latest edit and latest temperature, and the equipment issues' count and latest
  edit;
- the minute, since "free in about 3 h" and "2 min ago" are relative to now;
- whose details the viewer may see (everyone's, or in private mode their own).

A change anywhere gives a new key, so no page ever shows a table older than the
data it reads; stale keys simply age out. The cache is per process on purpose:
the key, not the cache, carries the freshness, so processes never need to agree.
"""

import time

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import caches
from django.db import connection
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from calendarEditor import selectors
from calendarEditor.models import EquipmentIssue, Machine
from calendarEditor.services import privacy

TEMPLATE = "fragments/board_table.html"
CACHE_ALIAS = "rendered"
# Long enough to serve a busy minute, short enough that a stale key never lingers.
CACHE_SECONDS = 120


def board_table_html(viewer: AbstractBaseUser | AnonymousUser) -> str:
    """The board table as ``viewer`` may see it, rendered at most once a minute per change."""
    key = f"board-table:{_fingerprint()}:{_audience(viewer)}:{int(time.time() // 60)}"
    cache = caches[CACHE_ALIAS]
    html = cache.get(key)
    if html is None:
        html = render_to_string(TEMPLATE, {**selectors.board_context(), "user": viewer})
        cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # rendered by the template engine, escaped there


def _audience(viewer: AbstractBaseUser | AnonymousUser) -> str:
    if getattr(viewer, "is_staff", False) or not privacy.is_private():
        return "all"
    return f"member-{viewer.pk}"  # private mode: a member sees their own entries named


def _fingerprint() -> str:
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql())
        row = cursor.fetchone()
    return "-".join("" if value is None else str(value) for value in row).replace(" ", "T")


def _fingerprint_sql() -> str:
    quote = connection.ops.quote_name
    machines, issues = quote(Machine._meta.db_table), quote(EquipmentIssue._meta.db_table)
    return (
        "SELECT m.n, m.versions, m.edited, m.read_at, i.n, i.edited FROM "
        "(SELECT COUNT(*) AS n, COALESCE(SUM(queue_version), 0) AS versions, "
        "MAX(updated_at) AS edited, MAX(temperature_updated_at) AS read_at "
        f"FROM {machines}) AS m, "
        f"(SELECT COUNT(*) AS n, MAX(updated_at) AS edited FROM {issues}) AS i"
    )
