"""INSERTs for the hot write paths, with the statement built once per shape.

``bulk_create`` and ``save(force_insert=True)`` compile a fresh INSERT every call:
a query object, a compiler, the field list, the placeholders. On a create that
writes six rows that was a third of the request. ``insert_rows`` keeps the same
meaning — each field's ``pre_save`` (so ``auto_now_add`` and defaults apply) and
``get_db_prep_save`` (so JSON, dates and foreign keys are adapted exactly as the
ORM adapts them), one statement for the rows, the new primary keys read back with
``RETURNING`` — and caches the SQL text per model, database and row count.

Like ``bulk_create`` it sends no ``pre_save``/``post_save`` signals; a model that
has receivers for them is saved through the ORM instead, so nothing listening is
skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import AutoField, BigAutoField, Field, Model
from django.db.models.signals import post_save, pre_save

_statements: dict[tuple[type[Model], str, int], tuple[str, list[Field[Any, Any]]]] = {}
_lock = threading.Lock()


def _statement(model: type[Model], alias: str, rows: int) -> tuple[str, list[Field[Any, Any]]]:
    key = (model, alias, rows)
    cached = _statements.get(key)
    if cached is not None:
        return cached
    connection = connections[alias]
    opts = model._meta
    quote = connection.ops.quote_name
    auto = _auto_key(model)
    fields = [
        f
        for f in opts.concrete_fields
        if not (f.primary_key and auto) and not getattr(f, "generated", False)
    ]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES {', '.join([placeholders] * rows)}"
    )
    if auto:
        sql += f" RETURNING {quote(opts.pk.column)}"
    with _lock:
        _statements[key] = (sql, fields)
    return sql, fields


def _auto_key(model: type[Model]) -> bool:
    return isinstance(model._meta.pk, AutoField | BigAutoField)


def _plain(model: type[Model]) -> bool:
    """True when the fast path means the same as the ORM's for this model: no field
    with a custom placeholder, nobody listening to saves."""
    return (
        not pre_save.has_listeners(model)
        and not post_save.has_listeners(model)
        and not any(hasattr(f, "get_placeholder") for f in model._meta.concrete_fields)
    )


def insert_rows(objs: Sequence[Model]) -> None:
    """INSERT new, unsaved instances of one model in one statement and give each its
    primary key, as ``bulk_create`` does (no signals, no ``save()`` overrides)."""
    if not objs:
        return
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if not (_plain(model) and connection.features.can_return_rows_from_bulk_insert):
        # (Every engine gongdan runs on has RETURNING; this is for any other.)
        model._default_manager.using(alias).bulk_create(objs)
        return
    sql, fields = _statement(model, alias, len(objs))
    auto = _auto_key(model)
    params: list[Any] = []
    for obj in objs:
        if type(obj) is not model or not obj._state.adding or (auto and obj.pk is not None):
            raise ValueError("insert_rows takes new instances of one model")
        # A related object saved after this one was built (an order's SLA clock is
        # planned before the order has its key) lends its key now, as in save().
        obj._prepare_related_fields_for_save(operation_name="insert_rows")  # type: ignore[attr-defined]  # private in django-stubs
        for f in fields:
            value = f.pre_save(obj, True)
            # NULL is NULL for every field type (JSONField included); half a row's
            # columns are, and adapting them is not free.
            params.append(None if value is None else f.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall() if auto else [(obj.pk,) for obj in objs]
    for obj, (pk,) in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias


def insert_row(obj: Model) -> None:
    """``obj.save(force_insert=True)`` through the cached statement."""
    insert_rows([obj])
