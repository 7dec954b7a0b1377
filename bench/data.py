"""A realistic plant and many orders, written in bulk.

People, teams and machines go through the ORM (a few hundred rows). Orders and
their events are written with raw executemany in chunks — the service layer
would take minutes per 100 k — with every value adapted by the connection's own
operations, so the rows read back exactly as service-written ones do. The
generator is seeded: the same size always gives the same rows, so page weights
and query plans are comparable between runs.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from gongdan.assets.models import Asset
from gongdan.core.models import Region, Role, Team, User
from gongdan.core.services import api_token_create
from gongdan.workorders.models import (
    PRIORITY_RANK,
    OrderNumberSequence,
    Priority,
    StateCategory,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderType,
)

PASSWORD = "bench-password-1"
REGIONS = [("east", "华东"), ("south", "华南"), ("north", "华北"), ("west", "西南")]
TRADES = [("electrical", "电气组"), ("mechanical", "机修组")]
MACHINES = ["注塑机 海天 MA1600", "注塑机 海天 MA2500", "空压机 阿特拉斯", "数控车床 CK6150",
            "冲床 JH21-160", "机械手 拓斯达", "冷却塔", "模温机"]  # fmt: skip
SYMPTOMS = [("no_start", "不启动"), ("abnormal_noise", "异响"), ("oil_leak", "漏油"),
            ("alarm", "报警"), ("quality_defect", "产品不良"), ("other", "其他")]  # fmt: skip
# The fault category a resolved order records (the blueprint asks for one on resolve),
# by symptom: the dashboard's first-time-fix check compares it with the machine's
# later orders. Taken from the symptom, not drawn, so the rest of the data stays as
# the seed made it.
FAULTS = {"no_start": "electrical", "abnormal_noise": "mechanical", "oil_leak": "hydraulic",
          "alarm": "control", "quality_defect": "mould", "other": "other"}  # fmt: skip
ENGINEERS_PER_TEAM = 3
REQUESTERS = 40
ASSETS = 400
CHUNK = 5000
# The reference "now" of generated history: the start of today, so dashboards over
# "the last 30 days" see data, and two runs on the same day generate the same rows.
EPOCH = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
HISTORY_DAYS = 730


@dataclass
class People:
    dispatcher: User
    engineers: list[User]
    requesters: list[User]
    assets: list[Asset]
    token: str


def seed_people() -> People:
    """Regions, teams, engineers, requesters, a dispatcher with an API token, machines."""
    regions = [Region.objects.get_or_create(code=c, defaults={"name": n})[0] for c, n in REGIONS]
    engineers: list[User] = []
    for region in regions:
        for trade, trade_name in TRADES:
            team, _ = Team.objects.get_or_create(
                code=f"{trade}-{region.code}",
                defaults={"name": f"{region.name}{trade_name}", "region": region},
            )
            for i in range(ENGINEERS_PER_TEAM):
                engineers.append(
                    _user(
                        f"eng-{team.code}-{i + 1}",
                        Role.ENGINEER,
                        f"工程师{len(engineers) + 1}",
                        team=team,
                        region=region,
                    )
                )
    requesters = [
        _user(f"op-{i + 1:02d}", Role.REQUESTER, f"操作工{i + 1}", region=regions[i % len(regions)])
        for i in range(REQUESTERS)
    ]
    dispatcher = _user("bench-dispatcher", Role.DISPATCHER, "刘调度")
    _user("bench-manager", Role.MANAGER, "陈经理")
    if not Asset.objects.filter(code__startswith="IMM-").exists():
        Asset.objects.bulk_create(
            Asset(
                code=f"IMM-{i + 1:04d}",
                name=MACHINES[i % len(MACHINES)],
                location=f"{i // 40 + 1} 车间",
                region=regions[i % len(regions)],
            )
            for i in range(ASSETS)
        )
    assets = list(Asset.objects.filter(code__startswith="IMM-").order_by("code"))
    _, token = api_token_create(user=dispatcher, name="bench")
    seed_config()
    return People(dispatcher, engineers, requesters, assets, token)


def seed_config() -> None:
    """What a plant configures before the first order, so that a create takes the
    full path: an SLA policy per priority (deadlines on the order), a routing rule
    that gives red orders to the least-loaded engineer of the machine's region
    (assignment, a routing event), and engineers with e-mail (an outbox row)."""
    from gongdan.routing.models import RoutingRule
    from gongdan.sla.models import SlaPolicy

    for priority, response, resolution in (("red", 15, 240), ("yellow", 60, 960),
                                           ("blue", 480, 2400)):  # fmt: skip
        SlaPolicy.objects.get_or_create(
            order_type=None,
            priority=priority,
            defaults={
                "name": f"bench {priority}",
                "clock": "24x7",
                "response_minutes": response,
                "resolution_minutes": resolution,
                "escalations": [{"target": "response", "percent": 100, "notify": ["supervisor"]}],
            },
        )
    RoutingRule.objects.get_or_create(
        name="红色 → 同区域负荷最低",
        defaults={
            "position": 10,
            "condition": {"field": "priority", "op": "eq", "value": "red"},
            "action": {"region": "order", "strategy": "least_loaded"},
        },
    )
    User.objects.filter(role=Role.ENGINEER, email="").update(
        email=Concat(F("username"), Value("@example.invalid"))
    )


def _user(username: str, role: str, name: str, **extra: Any) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username, password=PASSWORD, role=role, display_name=name, **extra
        )
    return user


def _insert(model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def generate_orders(people: People, total: int, *, seed: int = 8, events: bool = True) -> int:
    """Add generated orders (and their events) until the table holds ``total``; returns
    how many were added. Numbers and created_at grow together, as in real life."""
    have = WorkOrder.objects.count()
    if have >= total:
        return 0
    order_type = WorkOrderType.objects.get(key="equipment_repair")
    states = {s.category: s for s in reversed(order_type.states.all())}
    rng = random.Random(seed * 1_000_003 + have)
    # Later batches continue the timeline: the history is spread over HISTORY_DAYS
    # for the final size, so each batch covers a later stretch of it.
    span = HISTORY_DAYS * 86400
    start_offset = span * have / total
    moments = sorted(
        EPOCH - datetime.timedelta(seconds=span - rng.uniform(start_offset, span))
        for _ in range(total - have)
    )
    ops = connection.ops
    dt = ops.adapt_datetimefield_value
    # Orders carry explicit ids so their events can point at them without a read-back;
    # the id sequence is moved past them afterwards.
    order_fields = list(WorkOrder._meta.concrete_fields)
    event_fields = [f for f in WorkOrderEvent._meta.concrete_fields if not f.primary_key]
    order_cols = [f.column for f in order_fields]
    event_cols = [f.column for f in event_fields]
    # Columns the generator does not know (added later) get their model default.
    defaults = {f.column: f.get_default() for f in [*order_fields, *event_fields]}
    last_by_year = dict(OrderNumberSequence.objects.values_list("year", "last"))
    next_id = (WorkOrder.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    added = 0
    with transaction.atomic():
        for chunk_start in range(0, len(moments), CHUNK):
            orders: list[tuple[Any, ...]] = []
            event_rows: list[tuple[Any, ...]] = []
            for created in moments[chunk_start : chunk_start + CHUNK]:
                row, evs = _order_row(rng, people, states, order_type.pk, created, last_by_year)
                row["id"] = next_id
                orders.append(tuple(_adapt(row.get(c, defaults[c]), dt, ops) for c in order_cols))
                for ev in evs:
                    ev["order_id"] = next_id
                    event_rows.append(
                        tuple(_adapt(ev.get(c, defaults[c]), dt, ops) for c in event_cols)
                    )
                next_id += 1
            _insert(WorkOrder, order_cols, orders)
            if events:
                _insert(WorkOrderEvent, event_cols, event_rows)
            added += len(orders)
        for year, last in last_by_year.items():
            OrderNumberSequence.objects.update_or_create(year=year, defaults={"last": last})
        # PostgreSQL's id sequence does not follow explicit ids (SQLite's AUTOINCREMENT does).
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [WorkOrder]):
                cursor.execute(statement)
    if connection.vendor == "postgresql":
        # Autovacuum would do this within a minute of such a load; do it now so
        # the plans measured are the plans production gets.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return added


def _adapt(value: Any, dt: Any, ops: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return dt(value)
    if isinstance(value, dict):
        return ops.adapt_json_value(value, None)
    return value


def _order_row(
    rng: random.Random,
    people: People,
    states: dict[str, Any],
    type_id: int,
    created: datetime.datetime,
    last_by_year: dict[int, int],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    year = timezone.localtime(created).year
    last_by_year[year] = last_by_year.get(year, 0) + 1
    age_days = (EPOCH - created).total_seconds() / 86400
    roll = rng.random()
    if age_days < 14:
        category = _pick(roll, [(0.12, "new"), (0.27, "assigned"), (0.50, "in_progress"),
                                (0.60, "waiting"), (0.75, "resolved"), (0.97, "closed")],
                         "cancelled")  # fmt: skip
    else:
        category = _pick(roll, [(0.005, "new"), (0.01, "assigned"), (0.02, "in_progress"),
                                (0.025, "waiting"), (0.03, "resolved"), (0.95, "closed")],
                         "cancelled")  # fmt: skip
    state = states[category]
    priority = _pick(rng.random(), [(0.1, Priority.RED), (0.7, Priority.YELLOW)], Priority.BLUE)
    asset = rng.choice(people.assets)
    symptom, symptom_zh = rng.choice(SYMPTOMS)
    requester = rng.choice(people.requesters)
    creator = people.dispatcher if rng.random() < 0.3 else requester
    engineer = None if category in ("new", "cancelled") else rng.choice(people.engineers)
    minutes = {Priority.RED: 30, Priority.YELLOW: 120, Priority.BLUE: 480}[priority]
    response = created + datetime.timedelta(minutes=rng.uniform(5, minutes * 1.5))
    done = category in ("resolved", "closed")
    resolved = response + datetime.timedelta(hours=rng.uniform(0.5, 30)) if done else None
    row: dict[str, Any] = {
        "number": f"WO-{year}-{last_by_year[year]:06d}",
        "type_id": type_id,
        "title": f"{asset.name} {symptom_zh}",
        "description": f"{asset.location} {asset.code} {symptom_zh}，请尽快处理。",
        "priority": str(priority),
        "priority_rank": PRIORITY_RANK[priority],
        "asset_id": asset.pk,
        "customer": "",
        "requester_id": requester.pk,
        "assignee_id": engineer.pk if engineer else None,
        "created_by_id": creator.pk,
        "entered_by_id": None,
        "team_id": engineer.team_id if engineer else None,
        "region_id": asset.region_id,
        "state_id": state.pk,
        "state_category": category,
        "data": {"symptom": symptom, "machine_stopped": priority == Priority.RED}
        | ({"fault_category": FAULTS[symptom]} if done else {}),
        "version": 1 + (engineer is not None) + done,
        "created_at": created,
        "updated_at": resolved or response if engineer else created,
        "first_response_at": response if engineer else None,
        "arrived_at": response + datetime.timedelta(minutes=20) if done else None,
        "resolved_at": resolved,
        "closed_at": resolved + datetime.timedelta(hours=4)
        if category == StateCategory.CLOSED and resolved
        else None,
        "response_due_at": created + datetime.timedelta(minutes=minutes),
        "arrival_due_at": created + datetime.timedelta(minutes=minutes * 2),
        "resolution_due_at": created + datetime.timedelta(hours=minutes / 10),
    }
    events = [_event("created", creator.pk, created, to_state="new")]
    if engineer:
        events.append(
            _event(
                "assigned",
                people.dispatcher.pk,
                response,
                action="assign",
                data={"after": {"assignee": engineer.username}},
            )
        )
    if category not in ("new", "assigned"):
        events.append(
            _event(
                "transition",
                engineer.pk if engineer else creator.pk,
                resolved or response,
                action=state.key,
                to_state=state.key,
            )
        )
    return row, events


def _event(kind: str, actor: int, at: datetime.datetime, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "actor_id": actor,
        "on_behalf_of_id": None,
        "created_at": at,
        "action": extra.get("action", ""),
        "from_state": "",
        "to_state": extra.get("to_state", ""),
        "data": extra.get("data", {}),
    }


def _pick(roll: float, table: list[tuple[float, Any]], default: Any) -> Any:
    for limit, value in table:
        if roll < limit:
            return value
    return default
