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

import contextlib
import datetime
import functools
import itertools
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import (
    AutoField,
    BigAutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    JSONField,
    Model,
    TextField,
)
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_save, pre_save


@dataclass(frozen=True)
class Column:
    """How one field's value goes into the statement, decided once per field.

    ``read`` is True when the field's ``pre_save`` only reads the attribute (no
    ``auto_now``), so the value is read directly. ``kinds`` are the exact Python
    types whose values ``convert`` turns into what ``get_db_prep_save`` would give
    (None: as they are); a value of any other type goes through the field."""

    field: Field[Any, Any]
    attname: str
    foreign: ForeignKey[Any, Any] | None
    read: bool
    kinds: tuple[type, ...]
    convert: Callable[[Any], Any] | None


Statement = tuple[str, list[Column]]
_statements: dict[tuple[type[Model], str, int, bool], Statement] = {}
_lock = threading.Lock()


def _reads_only(field: Field[Any, Any]) -> bool:
    """True when ``field.pre_save(obj, add=True)`` is ``getattr(obj, field.attname)``."""
    pre_save = type(field).pre_save
    if pre_save is Field.pre_save:
        return True
    if pre_save in (DateField.pre_save, DateTimeField.pre_save):
        return not (field.auto_now or field.auto_now_add)  # type: ignore[attr-defined]  # a DateField, above
    return False


def _column(field: Field[Any, Any], connection: Any) -> Column:
    kinds, convert = _adapted_as(field, connection)
    return Column(
        field=field,
        attname=field.attname,
        foreign=field if isinstance(field, ForeignKey) else None,
        read=_reads_only(field),
        kinds=kinds,
        convert=convert,
    )


def _adapted_as(
    field: Field[Any, Any], connection: Any
) -> tuple[tuple[type, ...], Callable[[Any], Any] | None]:
    """The exact types whose values this field adapts in a way known here, and how
    (None: stored as they are) — only where ``get_db_prep_save`` and the methods it
    calls are the stock ones of the field's class and the engine's operations.
    Text and booleans as they are on every engine; integers and keys where the engine
    adapts nothing (PostgreSQL's driver gets its integers typed by their column);
    aware datetimes as they are on PostgreSQL and as UTC text on SQLite; JSON objects
    and lists through the engine's JSON adapter."""
    kind = type(field)
    ops = type(connection.ops)
    if isinstance(field, ForeignKey):
        if kind.get_db_prep_save is not ForeignKey.get_db_prep_save:
            return (), None
        kinds, convert = _adapted_as(field.target_field, connection)
        return ((int,), None) if kinds == (int,) and convert is None else ((), None)
    if isinstance(field, JSONField):
        stock = (
            kind.get_db_prep_save is JSONField.get_db_prep_save
            and kind.get_db_prep_value is JSONField.get_db_prep_value
            and kind.get_prep_value is Field.get_prep_value
        )
        if not stock:
            return (), None
        adapt, encoder = connection.ops.adapt_json_value, field.encoder
        if type(connection.ops).adapt_json_value is BaseDatabaseOperations.adapt_json_value:
            # The stock adapter is json.dumps(value, cls=encoder), which builds an
            # encoder per value; one instance (it keeps no state between calls)
            # gives the same text.
            return (dict, list), (encoder or json.JSONEncoder)().encode
        return (dict, list), lambda value: adapt(value, encoder)
    if kind.get_db_prep_save is not Field.get_db_prep_save:
        return (), None
    if kind.get_db_prep_value is Field.get_db_prep_value:
        if kind.get_prep_value in (CharField.get_prep_value, TextField.get_prep_value):
            return (str,), None
        if kind.get_prep_value is BooleanField.get_prep_value:
            return (bool,), None
        return (), None
    if (
        kind.get_db_prep_value is DateTimeField.get_db_prep_value
        and kind.get_prep_value is DateTimeField.get_prep_value
        and kind.to_python is DateTimeField.to_python
        and settings.USE_TZ
        and (as_stored := _aware_datetime(connection)) is not None
    ):
        return (datetime.datetime,), as_stored
    if kind.get_prep_value is not IntegerField.get_prep_value:
        return (), None
    if kind.get_db_prep_value is IntegerField.get_db_prep_value:
        plain = ops.adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value
    elif kind.get_db_prep_value is AutoFieldMixin.get_db_prep_value:  # type: ignore[attr-defined]  # not in django-stubs
        plain = ops.validate_autopk_value is BaseDatabaseOperations.validate_autopk_value
    else:
        plain = False
    return ((int,), None) if plain else ((), None)


class _Naive(Exception):
    """A naive datetime: left to the field, which warns and makes it aware."""


def _aware_datetime(connection: Any) -> Callable[[Any], Any] | None:
    """An aware datetime as the engine's stock ``adapt_datetimefield_value`` gives
    it: as it is where the driver takes it (PostgreSQL), the wall time in the
    connection's zone as text (SQLite); None for any other engine or operations."""
    adapt = type(connection.ops).adapt_datetimefield_value
    if connection.vendor == "postgresql":
        from django.db.backends.postgresql.operations import DatabaseOperations

        stock = adapt is DatabaseOperations.adapt_datetimefield_value
        return _as_is_if_aware if stock else None
    if connection.vendor != "sqlite":
        return None
    from django.db.backends.sqlite3.operations import DatabaseOperations as SQLiteOperations

    if adapt is not SQLiteOperations.adapt_datetimefield_value:
        return None
    zone = connection.timezone

    # A create stamps a dozen columns with the same few moments (its "now", the
    # deadlines): each is converted once. Equal aware datetimes are the same instant
    # and give the same text; a naive one raises, and is not kept.
    @functools.lru_cache(maxsize=64)
    def as_text(value: datetime.datetime) -> str:
        if value.utcoffset() is None:
            raise _Naive
        return str(value.astimezone(zone).replace(tzinfo=None))

    return as_text


def _as_is_if_aware(value: datetime.datetime) -> datetime.datetime:
    if value.utcoffset() is None:
        raise _Naive
    return value


def _statement(model: type[Model], alias: str, rows: int, *, keyed: bool = False) -> Statement:
    """The INSERT for ``rows`` rows; ``keyed``: rows whose automatic key was taken
    beforehand, written with it and nothing read back."""
    key = (model, alias, rows, keyed)
    cached = _statements.get(key)
    if cached is not None:
        return cached
    connection = connections[alias]
    opts = model._meta
    quote = connection.ops.quote_name
    auto = _auto_key(model) and not keyed
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
    columns = [_column(f, connection) for f in fields]
    with _lock:
        _statements[key] = (sql, columns)
    return sql, columns


def _auto_key(model: type[Model]) -> bool:
    return isinstance(model._meta.pk, AutoField | BigAutoField)


def _plain(model: type[Model]) -> bool:
    """True when the fast path means the same as the ORM's for this model: no field
    with a custom placeholder, nobody listening to saves."""
    return (
        not pre_save.has_listeners(model)
        and not post_save.has_listeners(model)
        and not _placeholders(model)
    )


@functools.cache
def _placeholders(model: type[Model]) -> bool:
    return any(hasattr(f, "get_placeholder") for f in model._meta.concrete_fields)


# --- prepared before the transaction ------------------------------------------

_deferred = threading.local()


@dataclass
class _Insert:
    """An INSERT waiting for the transaction: ``start`` sends it and returns what reads
    its new keys back; ``waits`` says whether a row it points at has no key yet."""

    connection: Any
    start: Callable[[], Callable[[], None]]
    waits: Callable[[], bool]


def _send_together(inserts: list[_Insert]) -> None:
    """Send a run of INSERTs, reading their keys back only when a later one needs a
    key (the new order's, for the rows that point at it) and at the end. On
    PostgreSQL they go out in pipeline mode, so the rows after the order's cost one
    round trip instead of one each; SQLite runs each as it is sent either way."""
    reads: list[Callable[[], None]] = []
    connection = inserts[0].connection
    pipeline = (
        connection.connection.pipeline()
        if connection.vendor == "postgresql"
        and all(insert.connection is connection for insert in inserts)
        else contextlib.nullcontext()
    )

    def read_back() -> None:
        while reads:
            reads.pop(0)()

    try:
        with pipeline:
            for insert in inserts:
                if insert.waits():
                    read_back()
                reads.append(insert.start())
        # Read after the pipeline's end: its closing sync fetches every result in the
        # same round trip (read inside, they would take one more).
        read_back()
    except BaseException:
        # The transaction is going back: close what was sent and not read.
        for read in reads:
            with contextlib.suppress(Exception):
                read()
        raise


@contextmanager
def writes_deferred(stand_ins: Sequence[str] = ()) -> Iterator[Callable[..., None]]:
    """Collect the INSERTs (and ``deferred_write`` calls) made inside the block instead
    of running them; the callable it gives runs them, in order, inside the caller's
    transaction.

    For work that only adds rows — a new order's events, outbox rows, SLA clock and
    routing ticket — so that building them (rendering messages, adapting values)
    happens before the write transaction opens, and the transaction, which on SQLite
    holds the database's one write lock, covers only the statements. A row may point
    at an object that is saved first in that transaction (the new order): its key is
    filled in when the row is written.

    A text known only inside the transaction (the new order's number, on SQLite) is
    written into the rows as a stand-in while they are built; ``run(fill={stand_in:
    text})`` puts the text in its place in the text and JSON values of rows written
    with ``insert_rows``, and in their objects. Stand-ins named beforehand
    (``stand_ins``) are looked for as each row is built, so that the transaction
    only replaces them where they are; ``fill`` may then name no other."""
    queue: list[Callable[[], object] | _Insert] = []
    flushes: list[Callable[[], object]] = []
    previous = (
        getattr(_deferred, "queue", None),
        getattr(_deferred, "batches", None),
        getattr(_deferred, "flushes", None),
        getattr(_deferred, "stand_ins", ()),
    )
    _deferred.queue = queue
    _deferred.batches = {}
    _deferred.flushes = flushes
    _deferred.stand_ins = tuple(stand_ins)

    def run(*, fill: dict[str, str] | None = None) -> None:
        if fill and stand_ins and not set(fill) <= set(stand_ins):
            raise ValueError("fill names a stand-in the block was not told of")
        _deferred.fill = fill
        try:
            for sends, writes in itertools.groupby(queue, key=lambda w: isinstance(w, _Insert)):
                if sends:
                    _send_together([w for w in writes if isinstance(w, _Insert)])
                else:
                    for write in writes:
                        assert not isinstance(write, _Insert)
                        write()
        finally:
            _deferred.fill = None

    try:
        yield run
        # Batches are made once nothing more can join them, still before the
        # transaction: what they write queues behind the rest.
        for flush in flushes:
            flush()
    finally:
        (_deferred.queue, _deferred.batches, _deferred.flushes, _deferred.stand_ins) = previous


def deferring() -> bool:
    """True inside ``writes_deferred``: there is no transaction to join yet."""
    return getattr(_deferred, "queue", None) is not None


def deferred_batch(key: str, flush: Callable[[list[Any]], object]) -> list[Any]:
    """A list that belongs to the current ``writes_deferred`` block, made on the first
    call for ``key``: ``flush(items)`` runs once, when the block ends — before the
    transaction, with writes still deferred, so the rows it builds with
    ``insert_rows`` are adapted then and written in the transaction after the
    block's others. A row that names the new order does it by a value known before
    the transaction (its number, a stand-in filled in there), not by its key. Only
    inside the block."""
    batches: dict[str, list[Any]] | None = getattr(_deferred, "batches", None)
    if batches is None:
        raise RuntimeError("deferred_batch is for use inside writes_deferred")
    if key not in batches:
        items: list[Any] = []
        batches[key] = items
        _deferred.flushes.append(lambda: flush(items))
    return batches[key]


def deferred_write(write: Callable[[], object]) -> None:
    """Run ``write`` now, or inside the transaction when writes are deferred."""
    queue: list[Callable[[], object] | _Insert] | None = getattr(_deferred, "queue", None)
    if queue is None:
        write()
    else:
        queue.append(write)


# --- the statements -------------------------------------------------------------


def insert_rows(objs: Sequence[Model]) -> None:
    """INSERT new, unsaved instances of one model in one statement and give each its
    primary key, as ``bulk_create`` does (no signals, no ``save()`` overrides).
    Inside ``writes_deferred`` the values are adapted now and the INSERT waits for
    the transaction."""
    if not objs:
        return
    batch = list(objs)
    model = type(batch[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if not (_plain(model) and connection.features.can_return_rows_from_bulk_insert):
        # (Every engine gongdan runs on has RETURNING; this is for any other.)
        def orm_write() -> None:
            model._default_manager.using(alias).bulk_create(batch)

        deferred_write(orm_write)
        return
    # Rows whose automatic key was taken beforehand (the new order's, on PostgreSQL)
    # are written with it.
    automatic = _auto_key(model)
    keyed = automatic and batch[0].pk is not None
    sql, columns = _statement(model, alias, len(batch), keyed=keyed)
    auto = automatic and not keyed
    params: list[Any] = []
    # Foreign keys to an object not saved yet (the new order): filled in when written.
    late: list[tuple[int, Model, ForeignKey[Any, Any], bool]] = []
    for obj in batch:
        if (
            type(obj) is not model
            or not obj._state.adding
            or (automatic and (obj.pk is not None) is not keyed)
        ):
            raise ValueError("insert_rows takes new instances of one model")
        for column in columns:
            f = column.field
            if (fk := column.foreign) is not None:
                related = fk.get_cached_value(obj) if fk.is_cached(obj) else None
                if related is not None and related.pk is None:
                    late.append((len(params), obj, fk, column.kinds == (int,)))
                    params.append(None)
                    continue
                if related is not None and getattr(obj, column.attname) is None:
                    # Saved after this row was built: it lends its key now, as save() does.
                    setattr(obj, fk.name, related)
            value = getattr(obj, column.attname) if column.read else f.pre_save(obj, True)
            # NULL is NULL for every field type (JSONField included); half a row's
            # columns are, and most others are text, numbers, times and JSON whose
            # adaptation is known (adapting through the field is not free: a create
            # has some seventy values).
            if value is None:
                params.append(None)
            elif type(value) in column.kinds:
                if column.convert is None:
                    params.append(value)
                else:
                    try:
                        params.append(column.convert(value))
                    except _Naive:
                        params.append(f.get_db_prep_save(value, connection))
            else:
                params.append(f.get_db_prep_save(value, connection))

    # Where the stand-ins named beforehand are (None: look everywhere when filling).
    stand_ins: tuple[str, ...] = getattr(_deferred, "stand_ins", ())
    fields = [c.field for c in columns]
    holding = _holding(stand_ins, params, fields) if stand_ins else None

    def start() -> Callable[[], None]:
        """Send the statement; the returned call reads the new keys back."""
        for i, obj, f, plain_key in late:
            related = f.get_cached_value(obj)
            if related is None or related.pk is None:
                raise ValueError(f"{f.name} of a {model.__name__} row was never saved")
            if plain_key and f.target_field.primary_key and type(related.pk) is int:
                # What assigning the (already cached) object does: its key beside it.
                obj.__dict__[f.attname] = params[i] = related.pk
            else:
                setattr(obj, f.name, related)
                params[i] = f.get_db_prep_save(getattr(obj, f.attname), connection)
        if fill := getattr(_deferred, "fill", None):
            _fill_in(fill, batch, fields, params, connection, holding)
        cursor = connection.cursor()
        try:
            cursor.execute(sql, params)
        except BaseException:
            cursor.close()
            raise

        def finish() -> None:
            try:
                keys = cursor.fetchall() if auto else [(obj.pk,) for obj in batch]
            finally:
                cursor.close()
            for obj, (pk,) in zip(batch, keys, strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = alias

        return finish

    def waits() -> bool:
        """Whether a row this statement points at has no key yet."""
        for _, obj, f, _ in late:
            related = f.get_cached_value(obj)
            if related is not None and related.pk is None:
                return True
        return False

    queue: list[Callable[[], object] | _Insert] | None = getattr(_deferred, "queue", None)
    if queue is None:
        start()()
    else:
        queue.append(_Insert(connection, start, waits))


def _holding(
    stand_ins: tuple[str, ...], params: list[Any], fields: list[Field[Any, Any]]
) -> list[int]:
    """The positions of ``params`` that may hold a stand-in: text that contains one,
    and JSON the driver takes as an object (looked into when filling)."""
    width = len(fields)
    return [
        i
        for i, value in enumerate(params)
        if (isinstance(value, str) and any(s in value for s in stand_ins))
        or (
            value is not None
            and not isinstance(value, str)
            and isinstance(fields[i % width], JSONField)
        )
    ]


def _fill_in(
    fill: dict[str, str],
    batch: list[Model],
    fields: list[Field[Any, Any]],
    params: list[Any],
    connection: Any,
    holding: list[int] | None = None,
) -> None:
    """Put each stand-in's text in its place — in values adapted to text (on SQLite,
    JSON too: a stand-in is plain ASCII letters and digits, which JSON keeps as they
    are) and in JSON the driver takes as objects (PostgreSQL), adapted again — and
    give the objects the values their rows now hold. ``holding``: the only positions
    to look at (all when None)."""
    width = len(fields)
    for i in range(len(params)) if holding is None else holding:
        value = params[i]
        obj, f = batch[i // width], fields[i % width]
        if isinstance(value, str):
            filled = _replaced(value, fill)
            if filled is not value:
                params[i] = filled
                from_db = getattr(f, "from_db_value", None)
                setattr(obj, f.attname, from_db(filled, None, connection) if from_db else filled)
        elif value is not None and isinstance(f, JSONField):
            current = getattr(obj, f.attname)
            filled = _replaced(current, fill)
            if filled is not current:
                setattr(obj, f.attname, filled)
                params[i] = f.get_db_prep_save(filled, connection)


def _replaced(value: Any, fill: dict[str, str]) -> Any:
    """``value`` (text, or JSON-shaped data) with the stand-ins replaced; the same
    object when it holds none."""
    if isinstance(value, str):
        for stand_in, text in fill.items():
            if stand_in in value:
                value = value.replace(stand_in, text)
        return value
    if isinstance(value, dict):
        items = {key: _replaced(item, fill) for key, item in value.items()}
        return items if any(items[key] is not value[key] for key in value) else value
    if isinstance(value, list):
        listed = [_replaced(item, fill) for item in value]
        return listed if any(a is not b for a, b in zip(listed, value, strict=True)) else value
    return value


def insert_row(obj: Model) -> None:
    """``obj.save(force_insert=True)`` through the cached statement."""
    insert_rows([obj])
