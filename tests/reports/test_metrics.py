"""The service metrics against values computed by hand from the history in conftest."""

from __future__ import annotations

import copy
import datetime

import pytest

from gongdan.reports import calendar
from gongdan.reports import facts as facts_module
from gongdan.reports.facts import ReportFilter
from gongdan.reports.selectors import Period, health, report_build, report_orders
from gongdan.workorders.models import EventKind
from gongdan.workorders.services import work_order_create, work_order_transition
from tests.reports.conftest import FIX, History, at, create, step

WEEK = Period.iso_week("2025-W41")
NOW = at(20, 9)
MIN = 60
HOUR = 3600


def build(history: History, **filters: str):  # type: ignore[no-untyped-def]
    return report_build(user=None, period=WEEK, filters=ReportFilter(**filters), now=NOW)


def numbers(report, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.number.split(" ")[0] for f in report_orders(report, key)]


def titles(report, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(f.title[0] for f in report_orders(report, key))


def test_week_runs_monday_to_monday_in_site_time() -> None:
    assert WEEK.start == at(6, 0)
    assert WEEK.end == at(13, 0)
    assert WEEK.iso == "2025-W41"
    with pytest.raises(ValueError):
        Period.iso_week("2025-41")


def test_working_days_follow_holidays_and_the_adjusted_saturday() -> None:
    # Mon–Wed are National Day holidays, Sat 11 October is a working day (调休).
    assert calendar.working_days(WEEK.first_day, WEEK.last_day) == 3


def test_first_response_counts_the_assignees_accept_or_comment(history: History) -> None:
    m = build(history).metrics
    r = build(history)
    assert m.created == 6
    # A 20 min (accept), B 50 min (comment before accepting), C 30 min, D 10 min (clerk
    # on the engineer's behalf); E never answered; G was cancelled.
    assert m.response_clock.count == 4
    assert m.response_clock.mean == pytest.approx(27.5 * MIN)
    assert m.response_clock.median == pytest.approx(25 * MIN)
    assert titles(r, "awaiting_response") == ["E"]


def test_arrival_and_resolution_times_in_clock_time(history: History) -> None:
    m = build(history).metrics
    assert m.arrival_clock.count == 4
    assert m.arrival_clock.mean == pytest.approx(300 * MIN)  # 60, 1020, 90, 30 min
    assert m.arrival_clock.median == pytest.approx(75 * MIN)
    # A 3 h, B 42 h (to the resolution after the reopen), C 54.5 h, D 2 h.
    assert m.resolution_clock.count == 4
    assert m.resolution_clock.mean == pytest.approx(25.375 * HOUR)
    assert m.resolution_clock.median == pytest.approx(22.5 * HOUR)


def test_business_time_skips_weekend_holiday_and_the_sla_pause(
    history: History, site_calendar: None
) -> None:
    m = build(history).metrics
    # Response: A 20 min, B 50 min, C and D answered on holidays → 0.
    assert m.response_business.mean == pytest.approx(17.5 * MIN)
    assert m.response_business.median == pytest.approx(10 * MIN)
    # Arrival: B from Fri 16:00 to the working Saturday 09:00 is 1 h + 1 h.
    assert m.arrival_business.mean == pytest.approx(45 * MIN)  # 60, 120, 0, 0
    # Resolution: A 3 h; B Fri 1 h + Sat 9 h + Sun 0; C Thu 08:00–15:00 less the
    # 3 h it waited for parts = 4 h; D on a holiday = 0.
    assert m.resolution_business.mean == pytest.approx(4.25 * HOUR)
    assert m.resolution_business.median == pytest.approx(3.5 * HOUR)


def test_business_time_follows_the_site_calendar_once_installed(history: History) -> None:
    m = build(history).metrics
    if calendar.has_site_calendar():
        # Thursday 9 October 09:00–12:00 lies inside any day shift.
        assert calendar.business_seconds(at(9, 9), at(9, 12)) == 3 * HOUR
    else:
        # Without a site calendar, business time is clock time (less the SLA pause).
        assert m.response_business.mean == pytest.approx(m.response_clock.mean)
        assert m.arrival_business.mean == pytest.approx(m.arrival_clock.mean)


def test_a_reports_clock_measures_each_span_once_and_every_span_apart(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One report measures an order's spans for its period and again for its week: the
    clock works each span out once, and never answers one span with another's."""
    three_hours = calendar.business_seconds(at(9, 9), at(9, 12))
    two_hours = calendar.business_seconds(at(9, 9), at(9, 11))
    worked: list[tuple[datetime.datetime, datetime.datetime]] = []
    site = calendar._site_business_time

    def counted() -> calendar.BusinessFn:
        fn = site()
        assert fn is not None  # the SLA app's calendar is installed

        def between(a: datetime.datetime, b: datetime.datetime) -> object:
            worked.append((a, b))
            return fn(a, b)

        return between

    monkeypatch.setattr(calendar, "_site_business_time", counted)
    measure = calendar.business_clock()
    morning, noon = measure(at(9, 9), at(9, 12)), measure(at(9, 9), at(9, 11))
    assert measure(at(9, 9), at(9, 12)) == morning
    assert (morning, noon) == (three_hours, two_hours)
    assert noon < morning
    assert measure(at(9, 12), at(9, 9)) == 0.0
    assert worked == [(at(9, 9), at(9, 12)), (at(9, 9), at(9, 11))]


def test_first_time_fix_excludes_reopened_and_repeated_faults(history: History) -> None:
    r = build(history)
    # A: the same machine had a new electrical fault (E) within 7 days; B was reopened.
    assert (r.metrics.ftf.numerator, r.metrics.ftf.denominator) == (2, 4)
    assert titles(r, "ftf") == ["C", "D"]
    assert titles(r, "not_ftf") == ["A", "B"]


def test_sla_closure_rate_counts_only_orders_with_a_target(history: History) -> None:
    r = build(history)
    # C waited for parts, and its target moved with the pause: still met.
    assert (r.metrics.sla.numerator, r.metrics.sla.denominator) == (2, 3)
    assert titles(r, "sla_missed") == ["B"]
    assert health("sla", r.metrics.sla.percent) == "bad"
    assert health("sla", 85.0) == "good"
    assert health("sla", 75.0) == "warn"


def test_throughput_per_engineer_per_working_day(history: History) -> None:
    r = build(history)
    m = r.metrics
    assert (m.closed, m.engineers, m.working_days) == (3, 3, 3)
    assert m.throughput == pytest.approx(1 / 3)
    assert health("throughput", m.throughput) == "bad"
    rows = {row.label: row for row in r.engineers}
    assert rows["王工"].closed == 2
    assert rows["王工"].closed_entered == 1
    assert rows["王工"].per_day == pytest.approx(2 / 3)
    assert rows["李工"].closed == 0
    assert rows["李工"].awaiting_closure == 1
    assert rows["张工"].closed == 1


def test_evaluation_rate_stars_and_nps(history: History) -> None:
    m = build(history).metrics
    assert (m.evaluation.numerator, m.evaluation.denominator) == (3, 4)
    assert health("evaluation", m.evaluation.percent) == "good"
    assert m.avg_stars == pytest.approx(11 / 3)
    # One promoter (10), one passive (8), one detractor (5).
    assert (m.promoters, m.detractors, m.nps) == (1, 1, 0)


def test_backlog_age_and_orders_past_deadline_at_week_end(history: History) -> None:
    r = build(history)
    m = r.metrics
    assert titles(r, "backlog") == ["E"]
    assert m.backlog_age.mean == pytest.approx(55 * HOUR)  # Fri 17:00 → Mon 00:00
    assert m.overdue == 1
    assert [(f.title[0], late / HOUR) for f, late in r.late] == [("E", 49), ("B", 22)]


def test_late_heatmap_names_the_worst_window(history: History) -> None:
    r = build(history)
    assert r.heatmap.total == 2
    assert r.heatmap.cells[4][16] == 1 and r.heatmap.cells[4][17] == 1
    assert r.heatmap_sentence == "100% 的超时工单在星期五 16:00–19:00 开单。"
    assert titles(r, "late.best") == ["B", "E"]


def test_filters_cut_every_metric(history: History) -> None:
    r = build(history, asset="IMM-101")
    assert r.metrics.created == 1
    assert titles(r, "resolved") == ["C"]
    r = build(history, priority="red")
    assert titles(r, "created") == ["A", "C", "E"]
    r = build(history, team="mechanical")
    assert r.metrics.engineers == 1


def test_breakdowns_and_weekly_trend_use_the_same_orders(history: History) -> None:
    r = build(history)
    by_asset = {row.label: row for row in r.breakdowns["asset"]}
    assert by_asset["IMM-001 注塑机 海天 MA1600"].created == 5
    assert by_asset["IMM-101 注塑机 海天 MA2500"].resolved == 1
    assert [w.period.iso for w in r.trend][-2:] == ["2025-W40", "2025-W41"]
    assert r.trend[-1].created == 6
    assert r.trend[-2].created == 0


def test_a_clerk_entered_order_counts_for_its_engineer_once_closed_in_the_system(
    plant, quiet_signals: None
) -> None:  # type: ignore[no-untyped-def]
    order = create(plant, at(9, 9), actor=plant.clerk, on_behalf_of=plant.wang, requester=None)
    for action, when in (("accept", at(9, 9, 5)), ("arrive", at(9, 10))):
        step(order, plant.clerk, action, when, on_behalf_of=plant.wang)
    step(
        order,
        plant.clerk,
        "resolve",
        at(9, 11),
        on_behalf_of=plant.wang,
        data={"fault_category": "electrical", **FIX},
    )
    rows = {row.label: row for row in report_build(user=None, period=WEEK, now=NOW).engineers}
    assert (rows["王工"].closed, rows["王工"].awaiting_closure) == (0, 1)
    step(order, plant.clerk, "close", at(10, 9))
    rows = {row.label: row for row in report_build(user=None, period=WEEK, now=NOW).engineers}
    assert (rows["王工"].closed, rows["王工"].closed_entered, rows["王工"].awaiting_closure) == (
        1,
        1,
        0,
    )


def test_an_engineer_sees_metrics_only_over_the_orders_they_may_see(history: History) -> None:
    r = report_build(user=history.plant.zhang, period=WEEK, now=NOW)
    assert titles(r, "created") == ["C"]


def test_metric_query_count_does_not_grow_with_the_number_of_orders(
    plant, quiet_signals: None, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n: int) -> None:
        for i in range(n):
            o, _ = work_order_create(
                actor=plant.requester,
                order_type=plant.repair,
                title=f"批量 {i}",
                asset=plant.press,
                data={"symptom": "alarm"},
                created_at=at(9, 8) + datetime.timedelta(minutes=i),
            )
            work_order_transition(
                order=o, actor=plant.wang, action="accept", version=o.version, at=at(9, 12)
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            report_build(user=plant.manager, period=WEEK, now=NOW)
        return len(ctx.captured_queries)

    add(2)
    few = count()
    add(10)
    assert count() == few
    assert few <= 10


def test_a_fix_counts_as_repeated_up_to_exactly_seven_days_on_for_the_same_fault(
    plant, quiet_signals: None
) -> None:  # type: ignore[no-untyped-def]
    """X's fault comes back on its machine exactly seven days after it was resolved: not
    a first-time fix. Z's comes back seven days and a minute later, and another fault
    on Z's machine inside its window is a different fault: Z stays a first-time fix.
    K's comes back the next day."""

    def fixed(title: str, asset, fault: str, resolved: datetime.datetime) -> None:  # type: ignore[no-untyped-def]
        order = create(plant, at(6, 9), title=title, asset=asset)
        step(order, plant.zhang, "accept", at(6, 9, 30))
        step(order, plant.zhang, "arrive", at(6, 10))
        step(order, plant.zhang, "resolve", resolved, data={"fault_category": fault, **FIX})

    def later(title: str, asset, fault: str, when: datetime.datetime) -> None:  # type: ignore[no-untyped-def]
        create(
            plant,
            when,
            title=title,
            asset=asset,
            data={"symptom": "alarm", "fault_category": fault},
        )

    fixed("X 模具", plant.press, "mould", at(7, 10))
    later("Y 模具又坏", plant.press, "mould", at(14, 10))  # after the report's weeks
    fixed("Z 液压", plant.south_press, "hydraulic", at(7, 11))
    later("R 电气", plant.south_press, "electrical", at(8, 9))
    later("W 液压又漏", plant.south_press, "hydraulic", at(14, 11, 1))
    fixed("K 控制", plant.press, "control", at(8, 10))
    later("L 控制又报警", plant.press, "control", at(9, 10))  # inside the report's weeks
    # Over every order, and cut to one priority (where the later orders are read
    # separately, whatever the cut): the same verdicts.
    for cut in (ReportFilter(), ReportFilter(priority="yellow")):
        r = report_build(user=None, period=WEEK, filters=cut, now=NOW)
        assert titles(r, "ftf") == ["Z"]
        assert titles(r, "not_ftf") == ["K", "X"]
    r = report_build(user=plant.manager, period=WEEK, now=NOW)
    assert titles(r, "not_ftf") == ["K", "X"]


def _facts() -> facts_module.OrderFacts:
    created = at(9, 9)
    return facts_module.OrderFacts(
        id=1, number="WO-2026-000001", title="t", type_id=1, type_name="t",
        priority="red", asset_id=None, asset_label="", customer="", team_id=None,
        team_name="", created_at=created, entered_by_id=None, resolution_due_at=None,
        fault_category="", assignee_id=7, category="assigned",
        timeline=[(created, "assigned")],
    )  # fmt: skip


def _replayed(kind: str, assignee: str, accepts: bool) -> tuple[object, object]:
    """An assigned order's facts before and after one event of ``kind`` that would
    resolve it, by its engineer arriving (the transition assigns and clears when
    ``accepts``), carrying a rating's and an assignment's (to ``assignee``) data."""
    order = _facts()
    before = copy.deepcopy(order)
    facts_module._replay(
        order, kind, "arrive", 7, at(9, 12), "done",
        {"stars": 5, "recommend": 10, "after": {"assignee": assignee}},
        {(1, "done"): "resolved"}, {(1, "arrive"): (accepts, accepts)}, {"wang": 7, "li": 8},
    )  # fmt: skip
    return before, order


@pytest.mark.parametrize("kind", [k for k in EventKind if k not in facts_module.REPLAYED], ids=str)
def test_an_event_of_a_kind_the_report_does_not_read_changes_none_of_its_facts(kind) -> None:
    """The report loads only the kinds its replay acts on; any other kind — the
    routing record, SLA steps, messages, edits, attachments — must leave an order's
    facts as they are, whatever it carries, or its figures would depend on it."""
    before, after = _replayed(kind, "wang", accepts=True)
    assert after == before


@pytest.mark.parametrize("kind", facts_module.REPLAYED, ids=str)
def test_every_kind_the_report_reads_can_change_an_orders_facts(kind) -> None:
    before, after = _replayed(kind, "li", accepts=False)
    assert after != before
