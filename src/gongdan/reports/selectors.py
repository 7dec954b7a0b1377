"""The management metrics (docs/metrics.md), computed from the event-log facts.

``report_build`` loads the facts once and computes everything a dashboard or a
weekly PDF shows. Every figure keeps the ids of the orders behind it in
``Report.sets`` under a stable key, so each number on a page links to exactly
the orders that make it up (``report_orders``).
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.core.models import User
from gongdan.workorders.models import StateCategory

from .calendar import Measure, working_days
from .facts import OPEN, FactSet, OrderFacts, ReportFilter, load_facts

# The brief's thresholds: (healthy test, alarming test) on the metric's value.
THRESHOLDS: dict[str, tuple[Callable[[float], bool], Callable[[float], bool]]] = {
    "sla": (lambda v: v >= 85, lambda v: v < 70),
    "throughput": (lambda v: 3 <= v <= 5, lambda v: v < 2),
    "evaluation": (lambda v: v > 60, lambda v: v < 30),
}


def health(key: str, value: float | None) -> str:
    """ "good", "warn" or "bad" against the brief's thresholds; "" when there are none."""
    if value is None or key not in THRESHOLDS:
        return ""
    healthy, alarming = THRESHOLDS[key]
    if healthy(value):
        return "good"
    return "bad" if alarming(value) else "warn"


@dataclass(frozen=True)
class Period:
    """[start, end) in aware datetimes; days are the site's local days."""

    start: datetime.datetime
    end: datetime.datetime

    @classmethod
    def days(cls, first: datetime.date, last: datetime.date) -> Period:
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(first, datetime.time(), tzinfo=tz)
        end = datetime.datetime.combine(
            last + datetime.timedelta(days=1), datetime.time(), tzinfo=tz
        )
        return cls(start, end)

    @classmethod
    def iso_week(cls, text: str) -> Period:
        """``2026-W47`` → Monday 00:00 to the next Monday 00:00, site time."""
        try:
            year, week = text.upper().split("-W")
            monday = datetime.date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            raise ValueError(_("周的格式应为 2026-W47。"))
        return cls.days(monday, monday + datetime.timedelta(days=6))

    @classmethod
    def week_of(cls, day: datetime.date) -> Period:
        monday = day - datetime.timedelta(days=day.weekday())
        return cls.days(monday, monday + datetime.timedelta(days=6))

    @property
    def first_day(self) -> datetime.date:
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> datetime.date:
        return timezone.localtime(self.end).date() - datetime.timedelta(days=1)

    @property
    def iso(self) -> str:
        year, week, _day = self.first_day.isocalendar()
        return f"{year}-W{week:02d}"

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime.datetime) and self.start <= moment < self.end


@dataclass
class Stat:
    """A duration statistic in seconds over a set of orders."""

    count: int = 0
    mean: float | None = None
    median: float | None = None

    @classmethod
    def of(cls, values: list[float]) -> Stat:
        if not values:
            return cls()
        return cls(len(values), statistics.fmean(values), float(statistics.median(values)))


@dataclass
class Rate:
    numerator: int = 0
    denominator: int = 0

    @property
    def percent(self) -> float | None:
        return 100.0 * self.numerator / self.denominator if self.denominator else None


@dataclass
class Metrics:
    """The brief's service metrics over one period (definitions in docs/metrics.md)."""

    period: Period
    created: int = 0
    response_clock: Stat = field(default_factory=Stat)
    response_business: Stat = field(default_factory=Stat)
    arrival_clock: Stat = field(default_factory=Stat)
    arrival_business: Stat = field(default_factory=Stat)
    resolution_clock: Stat = field(default_factory=Stat)
    resolution_business: Stat = field(default_factory=Stat)
    ftf: Rate = field(default_factory=Rate)
    sla: Rate = field(default_factory=Rate)
    closed: int = 0
    engineers: int = 0
    working_days: int = 0
    evaluation: Rate = field(default_factory=Rate)
    avg_stars: float | None = None
    nps: float | None = None
    promoters: int = 0
    detractors: int = 0
    recommenders: int = 0
    backlog: int = 0
    backlog_age: Stat = field(default_factory=Stat)
    overdue: int = 0
    parts_cost: Decimal | None = None
    parts_cost_per_order: Decimal | None = None

    @property
    def throughput(self) -> float | None:
        """Orders closed in the system per engineer per working day."""
        if not self.engineers or not self.working_days:
            return None
        return self.closed / self.engineers / self.working_days


def _cutoff(period: Period, now: datetime.datetime) -> datetime.datetime:
    return min(period.end, now)


def _net_business(f: OrderFacts, end: datetime.datetime, business: Measure) -> float:
    """Business time from creation to ``end`` less the time spent waiting (SLA pause)."""
    total = business(f.created_at, end)
    paused = sum(business(a, b) for a, b in f.waiting_between(end))
    return max(total - paused, 0.0)


def compute_metrics(
    facts: FactSet,
    period: Period,
    now: datetime.datetime,
    sets: dict[str, list[int]],
    prefix: str = "",
) -> Metrics:
    """All metrics for ``period``; the order ids behind each figure go into ``sets``."""
    m = Metrics(period=period)

    def put(key: str, ids: Iterable[int]) -> list[int]:
        sets[prefix + key] = ids_list = sorted(ids)
        return ids_list

    created = facts.created_between(period.start, period.end)
    m.created = len(put("created", (f.id for f in created)))
    live = [f for f in created if f.category != StateCategory.CANCELLED or f.first_response_at]
    responded = [(f, f.first_response_at) for f in created if f.first_response_at]
    put("responded", (f.id for f, _t in responded))
    put("awaiting_response", (f.id for f in live if f.first_response_at is None))
    m.response_clock = Stat.of([(t - f.created_at).total_seconds() for f, t in responded])
    m.response_business = Stat.of([facts.business(f.created_at, t) for f, t in responded])
    arrived = [(f, f.arrived_at) for f in created if f.arrived_at]
    put("arrived", (f.id for f, _t in arrived))
    m.arrival_clock = Stat.of([(t - f.created_at).total_seconds() for f, t in arrived])
    m.arrival_business = Stat.of([facts.business(f.created_at, t) for f, t in arrived])

    in_period = facts.resolved_between(period.start, period.end)
    pairs = [(f, f.resolved_at) for f in in_period if f.resolved_at is not None]
    resolved = [f for f, _t in pairs]
    put("resolved", (f.id for f in resolved))
    m.resolution_clock = Stat.of([(t - f.created_at).total_seconds() for f, t in pairs])
    m.resolution_business = Stat.of([_net_business(f, t, facts.business) for f, t in pairs])

    first_time = [f for f in resolved if f.visits <= 1 and not f.reopens and not f.repeated]
    m.ftf = Rate(len(put("ftf", (f.id for f in first_time))), len(resolved))
    first_time_ids = {f.id for f in first_time}
    put("not_ftf", (f.id for f in resolved if f.id not in first_time_ids))

    measured = [f for f in resolved if f.resolution_due_at is not None]
    met = [f for f in measured if f.resolved_at <= f.resolution_due_at]  # type: ignore[operator]
    put("sla_measured", (f.id for f in measured))
    met_ids = {f.id for f in met}
    put("sla_missed", (f.id for f in measured if f.id not in met_ids))
    m.sla = Rate(len(put("sla_met", (f.id for f in met))), len(measured))

    closed = [
        f
        for f in facts.closed_between(period.start, period.end)
        if f.category == StateCategory.CLOSED
    ]
    m.closed = len(put("closed", (f.id for f in closed)))
    m.engineers = len(facts.engineers_in_scope)
    m.working_days = working_days(period.first_day, period.last_day)

    rated = [f for f in resolved if f.stars is not None or f.recommend is not None]
    m.evaluation = Rate(len(put("rated", (f.id for f in rated))), len(resolved))
    stars = [f.stars for f in rated if f.stars is not None]
    m.avg_stars = statistics.fmean(stars) if stars else None
    recommenders = [f for f in rated if f.recommend is not None]
    promoters = put("promoters", (f.id for f in recommenders if f.recommend >= 9))  # type: ignore[operator]
    detractors = put("detractors", (f.id for f in recommenders if f.recommend <= 6))  # type: ignore[operator]
    m.recommenders, m.promoters, m.detractors = len(recommenders), len(promoters), len(detractors)
    if recommenders:
        m.nps = 100.0 * (len(promoters) - len(detractors)) / len(recommenders)

    cutoff = _cutoff(period, now)
    earlier = facts.created_between(None, cutoff)
    backlog = [f for f in earlier if f.category_at(cutoff) in OPEN]
    m.backlog = len(put("backlog", (f.id for f in backlog)))
    m.backlog_age = Stat.of([(cutoff - f.created_at).total_seconds() for f in backlog])
    overdue = [f for f in backlog if f.resolution_due_at and f.resolution_due_at < cutoff]
    m.overdue = len(put("overdue", (f.id for f in overdue)))

    costs = facts.parts_costs
    if costs is not None:
        m.parts_cost = sum((costs.get(f.id, Decimal(0)) for f in resolved), Decimal(0))
        put("parts", (f.id for f in resolved if costs.get(f.id)))
        if resolved:
            m.parts_cost_per_order = (m.parts_cost / len(resolved)).quantize(Decimal("0.01"))
    return m


def parts_costs(orders: Iterable[OrderFacts]) -> dict[int, Decimal] | None:
    """Parts cost per order from the spare-parts app's figures, or None where it is not
    installed. Only orders that used parts come back, so this stays one small query
    however many orders the report covers."""
    if not apps.is_installed("gongdan.parts"):
        return None
    from gongdan.parts.selectors import parts_cost

    by_number = {f.number: f.id for f in orders}
    return {
        by_number[row["key"]]: row["cost"]
        for row in parts_cost(by="order")
        if row["key"] in by_number
    }


# --- heatmap -------------------------------------------------------------------


@dataclass
class Heatmap:
    """Late orders by the weekday and hour they were opened (site time)."""

    cells: list[list[int]]  # [weekday 0=Monday][hour]
    total: int
    best_day: int | None = None
    best_hour: int | None = None
    best_count: int = 0
    span: int = 3

    @property
    def best_share(self) -> float | None:
        return 100.0 * self.best_count / self.total if self.total else None


def weekday_name(day: int) -> str:
    return [
        _("星期一"),
        _("星期二"),
        _("星期三"),
        _("星期四"),
        _("星期五"),
        _("星期六"),
        _("星期日"),
    ][day]


def late_heatmap(
    facts: FactSet, period: Period, now: datetime.datetime, sets: dict[str, list[int]]
) -> Heatmap:
    """Orders opened in the period that ran past their resolution target."""
    cells = [[0] * 24 for _day in range(7)]
    members: dict[tuple[int, int], list[int]] = {}
    late = [f for f in facts.orders.values() if f.created_at in period and f.lateness(now)]
    for f in late:
        local = timezone.localtime(f.created_at)
        cells[local.weekday()][local.hour] += 1
        members.setdefault((local.weekday(), local.hour), []).append(f.id)
    sets["late"] = sorted(f.id for f in late)
    heat = Heatmap(cells=cells, total=len(late))
    best: tuple[int, int, int, int] | None = None
    for day in range(7):
        for hour in range(24 - heat.span + 1):
            window = sum(cells[day][hour : hour + heat.span])
            # The busiest 3-hour window, starting on a late order rather than before one.
            key = (window, cells[day][hour], -day, -hour)
            if window and (best is None or key > best):
                best = key
    if best is not None:
        heat.best_count, heat.best_day, heat.best_hour = best[0], -best[2], -best[3]
    for day in range(7):
        for hour in range(24):
            ids = members.get((day, hour), [])
            sets[f"late.{day}.{hour}"] = sorted(ids)
    if heat.best_day is not None and heat.best_hour is not None:
        sets["late.best"] = sorted(
            i
            for h in range(heat.best_hour, heat.best_hour + heat.span)
            for i in members.get((heat.best_day, h), [])
        )
    return heat


def heatmap_sentence(heat: Heatmap) -> str:
    if not heat.total or heat.best_day is None or heat.best_hour is None:
        return _("本期没有超时工单。")
    return _("%(share).0f%% 的超时工单在%(day)s %(start)02d:00–%(end)02d:00 开单。") % {
        "share": heat.best_share,
        "day": weekday_name(heat.best_day),
        "start": heat.best_hour,
        "end": heat.best_hour + heat.span,
    }


# --- tables --------------------------------------------------------------------


@dataclass
class EngineerRow:
    engineer_id: int
    label: str
    closed: int = 0
    closed_entered: int = 0
    awaiting_closure: int = 0
    per_day: float | None = None
    ftf: Rate = field(default_factory=Rate)
    resolution: Stat = field(default_factory=Stat)
    avg_stars: float | None = None


def engineer_rows(
    facts: FactSet, period: Period, metrics: Metrics, sets: dict[str, list[int]]
) -> list[EngineerRow]:
    """Per engineer: an order counts only once it is closed in the system — a paper
    order entered by a clerk and resolved on paper is not throughput until then."""
    rows: dict[int, EngineerRow] = {}

    def row(eid: int) -> EngineerRow:
        if eid not in rows:
            e = facts.engineers.get(eid)
            rows[eid] = EngineerRow(engineer_id=eid, label=e.label if e else str(eid))
        return rows[eid]

    for eid in facts.engineers_in_scope:
        row(eid)
    closed_ids, entered_ids, waiting_ids, resolved_ids = {}, {}, {}, {}  # type: ignore[var-annotated]
    for f in facts.orders.values():
        if f.category == StateCategory.CLOSED and f.closed_by_id and f.closed_at in period:
            closed_ids.setdefault(f.closed_by_id, []).append(f.id)
            if f.clerk_entered:
                entered_ids.setdefault(f.closed_by_id, []).append(f.id)
        if f.resolved_by_id and f.resolved_at in period:
            resolved_ids.setdefault(f.resolved_by_id, []).append(f)
            if f.category == StateCategory.RESOLVED:
                waiting_ids.setdefault(f.resolved_by_id, []).append(f.id)
    ftf = set(sets.get("ftf", []))
    for eid in set(closed_ids) | set(resolved_ids):
        row(eid)
    for eid, r in rows.items():
        sets[f"eng.{eid}.closed"] = sorted(closed_ids.get(eid, []))
        sets[f"eng.{eid}.entered"] = sorted(entered_ids.get(eid, []))
        sets[f"eng.{eid}.awaiting"] = sorted(waiting_ids.get(eid, []))
        mine = resolved_ids.get(eid, [])
        sets[f"eng.{eid}.resolved"] = sorted(f.id for f in mine)
        sets[f"eng.{eid}.ftf"] = sorted(f.id for f in mine if f.id in ftf)
        r.closed = len(closed_ids.get(eid, []))
        r.closed_entered = len(entered_ids.get(eid, []))
        r.awaiting_closure = len(waiting_ids.get(eid, []))
        r.per_day = r.closed / metrics.working_days if metrics.working_days else None
        r.ftf = Rate(len(sets[f"eng.{eid}.ftf"]), len(mine))
        r.resolution = Stat.of([(f.resolved_at - f.created_at).total_seconds() for f in mine])
        stars = [f.stars for f in mine if f.stars is not None]
        r.avg_stars = statistics.fmean(stars) if stars else None
    return sorted(rows.values(), key=lambda r: (-r.closed, r.label))


@dataclass
class BreakdownRow:
    key: str
    label: str
    created: int = 0
    resolved: int = 0
    sla: Rate = field(default_factory=Rate)
    backlog: int = 0
    late: int = 0


# Each dimension: an order's group key, and the group's label (asked once per group).
DIMENSIONS: dict[str, tuple[Callable[[OrderFacts], str], Callable[[OrderFacts], str]]] = {
    "type": (lambda f: str(f.type_id), lambda f: f.type_name),
    "team": (lambda f: str(f.team_id or 0), lambda f: f.team_name or _("未分组")),
    "asset": (lambda f: str(f.asset_id or 0), lambda f: f.asset_label or _("无设备")),
    "customer": (lambda f: f.customer or "-", lambda f: f.customer or _("无客户")),
}


def dimension_labels() -> dict[str, str]:
    return {"type": _("类型"), "team": _("班组"), "asset": _("设备"), "customer": _("客户")}


def breakdown(
    facts: FactSet, dimension: str, sets: dict[str, list[int]], limit: int = 15
) -> list[BreakdownRow]:
    """The period's figures cut by one dimension, using the figures' own order sets."""
    keyer, labeller = DIMENSIONS[dimension]
    groups: dict[str, BreakdownRow] = {}
    members: dict[tuple[str, str], list[int]] = {}
    wanted = ("created", "resolved", "sla_measured", "sla_met", "backlog", "late")
    for metric in wanted:
        for oid in sets.get(metric, []):
            f = facts.orders[oid]
            key = keyer(f)
            if key not in groups:
                groups[key] = BreakdownRow(key=key, label=labeller(f))
            members.setdefault((key, metric), []).append(oid)
    for key, r in groups.items():
        for metric in wanted:
            sets[f"{dimension}.{key}.{metric}"] = sorted(members.get((key, metric), []))
        r.created = len(members.get((key, "created"), []))
        r.resolved = len(members.get((key, "resolved"), []))
        r.sla = Rate(
            len(members.get((key, "sla_met"), [])), len(members.get((key, "sla_measured"), []))
        )
        r.backlog = len(members.get((key, "backlog"), []))
        r.late = len(members.get((key, "late"), []))
    ordered = sorted(groups.values(), key=lambda r: (-r.created - r.backlog, r.label))
    return ordered[:limit]


def late_orders(
    facts: FactSet, period: Period, now: datetime.datetime, limit: int = 10
) -> list[tuple[OrderFacts, float]]:
    """The most-late orders: resolved late in the period, or still open past target at its end."""
    cutoff = _cutoff(period, now)
    found = []
    for f in facts.orders.values():
        if f.resolved_at is not None and f.resolved_at in period:
            late = f.lateness(now)
        elif (
            f.created_at < cutoff
            and f.category_at(cutoff) in OPEN
            and f.resolution_due_at is not None
            and f.resolution_due_at < cutoff
        ):
            late = (cutoff - f.resolution_due_at).total_seconds()
        else:
            late = None
        if late:
            found.append((f, late))
    found.sort(key=lambda pair: (-pair[1], pair[0].number))
    return found[:limit]


# --- the whole report ----------------------------------------------------------


@dataclass
class Report:
    period: Period
    filters: ReportFilter
    now: datetime.datetime
    metrics: Metrics
    trend: list[Metrics]
    heatmap: Heatmap
    engineers: list[EngineerRow]
    breakdowns: dict[str, list[BreakdownRow]]
    late: list[tuple[OrderFacts, float]]
    facts: FactSet
    sets: dict[str, list[int]]

    @property
    def heatmap_sentence(self) -> str:
        return heatmap_sentence(self.heatmap)


def report_build(
    *,
    user: User | None,
    period: Period,
    filters: ReportFilter | None = None,
    now: datetime.datetime | None = None,
    trend_weeks: int = 8,
) -> Report:
    """Everything the dashboard and the weekly PDF show, from one load of facts.

    ``user`` None is the system (the weekly report): every order; otherwise the
    orders ``WorkOrder.objects.visible_to(user)`` allows."""
    filters = filters or ReportFilter()
    now = now or timezone.now()
    last_week = Period.week_of(period.last_day)
    weeks = [
        Period(
            last_week.start - datetime.timedelta(weeks=n),
            last_week.end - datetime.timedelta(weeks=n),
        )
        for n in range(trend_weeks - 1, -1, -1)
    ]
    since = min([period.start, *(w.start for w in weeks)])
    until = max([period.end, *(w.end for w in weeks)])
    facts = load_facts(user=user, filters=filters, since=since, until=until)
    facts.parts_costs = parts_costs(facts.orders.values())
    sets: dict[str, list[int]] = {}
    metrics = compute_metrics(facts, period, now, sets)
    trend = [compute_metrics(facts, w, now, sets, prefix=f"week.{w.iso}.") for w in weeks]
    heat = late_heatmap(facts, period, now, sets)
    engineers = engineer_rows(facts, period, metrics, sets)
    breakdowns = {dim: breakdown(facts, dim, sets) for dim in DIMENSIONS}
    return Report(
        period=period,
        filters=filters,
        now=now,
        metrics=metrics,
        trend=trend,
        heatmap=heat,
        engineers=engineers,
        breakdowns=breakdowns,
        late=late_orders(facts, period, now),
        facts=facts,
        sets=sets,
    )


def report_orders(report: Report, key: str) -> list[OrderFacts]:
    """The orders behind one figure of ``report``; unknown keys give no orders."""
    ids = report.sets.get(key, [])
    return sorted((report.facts.orders[i] for i in ids), key=lambda f: (f.created_at, f.number))
