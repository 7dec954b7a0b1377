"""How loaded each engineer is: their open orders weighted by priority, read from the
counts the database keeps (``EngineerLoad``, maintained by triggers on the orders
table) in one plain SQL statement.
"""

from __future__ import annotations

from django.db import connection

from gongdan.workorders.models import Priority

from ..models import EngineerLoad

# Open orders weigh by priority when counting an engineer's load.
LOAD_WEIGHT = {Priority.RED: 3, Priority.YELLOW: 2, Priority.BLUE: 1}


def _loads(user_ids: list[int]) -> dict[int, float]:
    """Each engineer's open orders, weighted by priority. It runs for every new order,
    so it is one plain statement over the counts' unique index, whatever the backlog
    (an engineer's rows of a priority summed: ``EngineerLoad``'s shards):
    the ids are integers written in as literals, so both engines keep its plan per
    roster (SQLite's statement cache, PostgreSQL's prepared statement) and nothing
    binds a hundred placeholders."""
    if not user_ids:
        return {}
    table = connection.ops.quote_name(EngineerLoad._meta.db_table)
    ids = ", ".join(str(int(pk)) for pk in user_ids)
    sql = (
        f"SELECT user_id, priority, SUM(open_orders) FROM {table}"
        f" WHERE user_id IN ({ids}) GROUP BY user_id, priority"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    loads: dict[int, float] = {}
    for pk, priority, n in rows:
        weight = _WEIGHT_BY_NAME.get(priority)
        if weight and n > 0:
            loads[pk] = loads.get(pk, 0) + weight * n
    return loads


_WEIGHT_BY_NAME = {str(p): w for p, w in LOAD_WEIGHT.items()}
