"""The list requests measured, each with the hand-written SQL that returns the same rows.

The SQL is what a careful person would write for that screen with no framework:
one COUNT and one page query, joined to exactly what the API shows. The API list
is compared against its time (and, picking the page's ids over narrow rows
first, now beats it on the larger pages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from gongdan.assets.models import Asset
from gongdan.core.models import Region, Team, User
from gongdan.workorders.models import WorkflowState, WorkOrder, WorkOrderType

OPEN = ("new", "assigned", "in_progress", "waiting")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    params: dict[str, Any]
    user: str = "bench-dispatcher"
    # (SQL WHERE fragment, params); {a} is the asset alias, {t} the team alias.
    where: tuple[str, tuple[Any, ...]] = ("1=1", ())
    order: str = "wo.priority_rank ASC, wo.created_at DESC, wo.id DESC"
    joins_for_count: tuple[str, ...] = ()
    page: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(["%s"] * len(values)) + ")"


SCENARIOS = [
    Scenario(
        "open board",
        "every open order, red first (the dispatcher's board as a list)",
        {"category": ",".join(OPEN)},
        where=(f"wo.state_category IN {_in(OPEN)}", OPEN),
    ),
    Scenario(
        "red, open",
        "open stoppage-risk orders",
        {"category": ",".join(OPEN), "priority": "red"},
        where=(f"wo.state_category IN {_in(OPEN)} AND wo.priority IN (%s)", (*OPEN, "red")),
    ),
    Scenario(
        "team, open",
        "one team's open orders",
        {"category": ",".join(OPEN), "team": "electrical-east"},
        where=(f"wo.state_category IN {_in(OPEN)} AND tm.code = %s", (*OPEN, "electrical-east")),
        joins_for_count=("team",),
    ),
    Scenario(
        "engineer's list",
        "an engineer's default list (own, team and region orders)",
        {},
        user="eng-electrical-east-1",
        where=("ENGINEER", ()),
    ),
    Scenario(
        "asset history",
        "every order on one machine, newest first",
        {"asset": "IMM-0007", "sort": "-created"},
        where=("a.code = %s", ("IMM-0007",)),
        order="wo.created_at DESC, wo.id DESC",
        joins_for_count=("asset",),
    ),
    Scenario(
        "text search",
        "free-text search 漏油 over number, title, description and machine",
        {"q": "漏油"},
        where=("SEARCH", ("漏油",)),
        joins_for_count=("asset",),
    ),
    Scenario(
        "page 20",
        "page 20 of everything, default order",
        {},
        page=20,
    ),
]


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {
        "wo": q(WorkOrder._meta.db_table),
        "ty": q(WorkOrderType._meta.db_table),
        "st": q(WorkflowState._meta.db_table),
        "asset": q(Asset._meta.db_table),
        "user": q(User._meta.db_table),
        "team": q(Team._meta.db_table),
        "region": q(Region._meta.db_table),
    }


def _where(scenario: Scenario) -> tuple[str, list[Any]]:
    sql, params = scenario.where
    if sql == "ENGINEER":
        user = User.objects.get(username=scenario.user)
        return (
            "(wo.assignee_id = %s OR wo.created_by_id = %s OR wo.team_id = %s"
            " OR wo.region_id = %s)",
            [user.pk, user.pk, user.team_id, user.region_id],
        )
    if sql == "SEARCH":
        like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
        pattern = f"%{params[0]}%"
        columns = ["wo.number", "wo.title", "wo.description", "a.code", "a.name"]
        return "(" + " OR ".join(f"{c} {like} %s" for c in columns) + ")", [pattern] * 5
    return sql, list(params)


def hand_sql(scenario: Scenario) -> tuple[str, list[Any], str, list[Any]]:
    """(count SQL, params, page SQL, params) for the scenario."""
    t = _tables()
    where, params = _where(scenario)
    count_joins = ""
    if "asset" in scenario.joins_for_count or scenario.where[0] == "SEARCH":
        count_joins += f" LEFT JOIN {t['asset']} a ON a.id = wo.asset_id"
    if "team" in scenario.joins_for_count:
        count_joins += f" LEFT JOIN {t['team']} tm ON tm.id = wo.team_id"
    count = f"SELECT COUNT(*) FROM {t['wo']} wo{count_joins} WHERE {where}"
    page = f"""
        SELECT wo.id, wo.number, wo.title, wo.description, wo.priority, wo.state_category,
               wo.customer, wo.data, wo.version, wo.created_at, wo.updated_at,
               wo.first_response_at, wo.arrived_at, wo.resolved_at, wo.closed_at,
               wo.response_due_at, wo.arrival_due_at, wo.resolution_due_at,
               ty.key, ty.name_zh, ty.name_en, st.key, st.name_zh, st.name_en,
               a.code, a.name, rq.username, rq.display_name, asg.username, asg.display_name,
               cb.username, cb.display_name, eb.username, eb.display_name, tm.code, rg.code
        FROM {t["wo"]} wo
        JOIN {t["ty"]} ty ON ty.id = wo.type_id
        JOIN {t["st"]} st ON st.id = wo.state_id
        LEFT JOIN {t["asset"]} a ON a.id = wo.asset_id
        LEFT JOIN {t["user"]} rq ON rq.id = wo.requester_id
        LEFT JOIN {t["user"]} asg ON asg.id = wo.assignee_id
        LEFT JOIN {t["user"]} cb ON cb.id = wo.created_by_id
        LEFT JOIN {t["user"]} eb ON eb.id = wo.entered_by_id
        LEFT JOIN {t["team"]} tm ON tm.id = wo.team_id
        LEFT JOIN {t["region"]} rg ON rg.id = wo.region_id
        WHERE {where}
        ORDER BY {scenario.order}
        LIMIT {PAGE_SIZE} OFFSET {(scenario.page - 1) * PAGE_SIZE}
    """
    return count, params, page, params


def run_hand_sql(scenario: Scenario) -> tuple[int, list[str]]:
    """Run both statements; (total count, order numbers of the page)."""
    count_sql, count_params, page_sql, page_params = hand_sql(scenario)
    with connection.cursor() as cursor:
        cursor.execute(count_sql, count_params)
        total = cursor.fetchone()[0]
        cursor.execute(page_sql, page_params)
        numbers = [row[1] for row in cursor.fetchall()]
    return total, numbers


def api_path(scenario: Scenario) -> str:
    from urllib.parse import urlencode

    query = {**scenario.params, "page": scenario.page, "page_size": PAGE_SIZE}
    return "/api/v1/work-orders?" + urlencode(query)
