"""How loaded each engineer is: their open orders weighted by priority, counted for
the whole roster in one plain SQL statement.
"""

from __future__ import annotations

from django.db import connection

from gongdan.workorders.models import OPEN_CATEGORIES, Priority, WorkOrder

# Open orders weigh by priority when counting an engineer's load.
LOAD_WEIGHT = {Priority.RED: 3, Priority.YELLOW: 2, Priority.BLUE: 1}


# Open orders of one priority counted per engineer, at most: beyond this an
# engineer is as loaded as it gets, and routing's cost no longer grows with a
# backlog (a plant that imports years of unclosed orders from its spreadsheets).
LOAD_COUNT_CAP = 100


def _loads(user_ids: list[int]) -> dict[int, float]:
    """Each engineer's open orders, weighted by priority, each priority counted up to
    LOAD_COUNT_CAP. It runs for every new order, so it is one plain statement: a
    VALUES list of (engineer, priority) pairs, each counted by one correlated
    subquery over one index range (the assignee index covers it). It carries no
    parameters — the values are the engineers' integer ids and the project's own
    priority and category names, written in as literals — so both engines keep its
    plan (SQLite's statement cache, PostgreSQL's prepared statement) and nothing
    binds a hundred placeholders. (Written as one scalar subquery per pair, the
    same count took ten times as long to plan on both engines.)"""
    if not user_ids:
        return {}
    table = connection.ops.quote_name(WorkOrder._meta.db_table)
    pairs = ", ".join(_PAIRS.format(int(pk)) for pk in user_ids)
    # VALUES names its columns column1, column2 on both engines.
    sql = (
        f"SELECT k.column1, k.column2, (SELECT COUNT(*) FROM (SELECT 1 FROM {table} w"
        f" WHERE w.assignee_id = k.column1 AND w.priority = k.column2"
        f" AND w.state_category IN ({_CATEGORIES}) LIMIT {int(LOAD_COUNT_CAP)}) AS s)"
        f" FROM (VALUES {pairs}) AS k"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    loads: dict[int, float] = {}
    for pk, priority, n in rows:
        if n:
            loads[pk] = loads.get(pk, 0) + _WEIGHT_BY_NAME[priority] * n
    return loads


def _sql_literal(name: str) -> str:
    """A project constant (a priority or category name) as an SQL string literal."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain name: {name!r}")
    return f"'{name}'"


_CATEGORIES = ", ".join(_sql_literal(c) for c in OPEN_CATEGORIES)
# One engineer's (id, priority) pairs, the id to be formatted in.
_PAIRS = ", ".join(f"({{0}}, {_sql_literal(str(p))})" for p in LOAD_WEIGHT)
_WEIGHT_BY_NAME = {str(p): w for p, w in LOAD_WEIGHT.items()}
