"""What a backup holds, read as one consistent snapshot.

Every app's rows, except what a freshly migrated database makes by itself or
should not get back:

- content types and permissions: ``migrate`` creates them, with ids that may
  differ between databases, so rows refer to them by natural key instead;
- sessions: restoring them would let old logins back in;
- django-axes' lock-out records: short-lived, and they hold IP addresses.

Rows keep their primary keys (links such as /schedule/entries/12/ and the
audit log's references stay right); foreign keys to models that have a
natural key (users, groups, content types, permissions) are written by that
key, as ``dumpdata --natural-foreign`` does.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import Model, QuerySet

from calendarEditor.services.backups.errors import BackupError

EXCLUDED_APPS = frozenset({"contenttypes", "sessions", "axes"})
EXCLUDED_MODELS = frozenset({"auth.permission"})
SERIALIZER = "jsonl"
CHUNK_SIZE = 2000


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds (ECMA-262); a backup keeps every digit."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def label(model: type[Model]) -> str:
    return model._meta.label_lower


def backed_up_models(using: str = DEFAULT_DB_ALIAS) -> list[type[Model]]:
    """The models whose rows a backup holds, in an order a restore can load them in."""
    app_list = [
        (config, None)
        for config in apps.get_app_configs()
        if config.models_module is not None and config.label not in EXCLUDED_APPS
    ]
    return [
        model
        for model in serializers.sort_dependencies(app_list, allow_cycles=True)
        if not model._meta.proxy
        and model._meta.managed
        and label(model) not in EXCLUDED_MODELS
        and router.allow_migrate_model(using, model)
    ]


def excluded_labels() -> list[str]:
    return sorted(
        label(model)
        for model in apps.get_models()
        if model._meta.app_label in EXCLUDED_APPS or label(model) in EXCLUDED_MODELS
    )


@contextmanager
def consistent_snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Every read inside sees the database as it was at one instant.

    PostgreSQL: a REPEATABLE READ, READ ONLY transaction, so queue changes
    committed while the dump runs (a few seconds) are not half in it. The
    statement must open the transaction, so this cannot run inside another one.
    SQLite: its transaction already reads one snapshot.
    """
    connection = connections[using]
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        raise BackupError(
            "A backup must start outside a database transaction, to read one consistent "
            "snapshot; call it from a command or a view without ATOMIC_REQUESTS."
        )
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def write_rows(stream: IO[str], using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Serialize every backed-up row to ``stream`` (one JSON object per line).

    Returns the number of rows per model label. Call inside consistent_snapshot().
    """
    counts: dict[str, int] = {}

    def rows() -> Iterator[Model]:
        for model in backed_up_models(using):
            counts[label(model)] = 0
            with _readable(model):
                for row in _queryset(model, using).iterator(chunk_size=CHUNK_SIZE):
                    counts[label(model)] += 1
                    yield row

    serializers.serialize(
        SERIALIZER,
        rows(),
        stream=stream,
        use_natural_foreign_keys=True,
        use_natural_primary_keys=False,
        cls=ExactJSONEncoder,
    )
    return counts


def _queryset(model: type[Model], using: str) -> QuerySet[Any]:
    # Writing a natural foreign key reads the related row: joined here, not one query per row.
    natural = [
        field.name
        for field in model._meta.concrete_fields
        if field.is_relation and hasattr(field.related_model, "natural_key")
    ]
    queryset = model._base_manager.using(using).order_by("pk")
    return queryset.select_related(*natural) if natural else queryset


def row_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    counts = {}
    for model in backed_up_models(using):
        with _readable(model):
            counts[label(model)] = model._base_manager.using(using).count()
    return counts


@contextmanager
def _readable(model: type[Model]) -> Iterator[None]:
    try:
        yield
    except DatabaseError as error:
        raise BackupError(
            f"Could not read {label(model)} ({str(error).strip()}); is this database fully "
            "migrated? Run manage.py migrate and try again."
        ) from None


def migration_leaves(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """The newest applied migration(s) of each app: the schema the rows fit."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    leaves: dict[str, list[str]] = defaultdict(list)
    for key in applied:
        node = loader.graph.node_map.get(key)
        if node is None:
            continue  # recorded as applied, but replaced by a squashed migration
        app = key[0]
        if not any(child.key in applied and child.key[0] == app for child in node.children):
            leaves[app].append(key[1])
    return {app: sorted(names) for app, names in sorted(leaves.items())}
