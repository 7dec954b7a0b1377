"""Report pages: the dashboard, the orders behind any figure, exports and the weekly PDF."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.core.models import Region, Role, Team, User, request_user
from gongdan.workorders.models import Priority, WorkOrderType

from .exports import CONTENT_TYPES, table_export
from .facts import ReportFilter
from .selectors import Period, Report, report_build, report_orders, weekday_name
from .tables import kpi_cards, orders_table, report_tables

REPORT_ROLES = (Role.ADMIN, Role.MANAGER, Role.DISPATCHER)
DEFAULT_DAYS = 28


def _allowed(user: User) -> User:
    if not (user.is_superuser or user.has_role(*REPORT_ROLES)):
        raise PermissionDenied(_("只有经理、调度和管理员可以查看报表。"))
    return user


def _date(raw: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def parse_period(params: Any) -> Period:
    """``week=2026-W47``, or ``start``/``end`` dates (inclusive); the last four weeks by default."""
    if week := params.get("week"):
        try:
            return Period.iso_week(week)
        except ValueError:
            pass
    today = timezone.localdate()
    end = _date(params.get("end")) or today
    start = _date(params.get("start")) or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    # A year is plenty for one page, and keeps a typo from replaying a decade.
    start = max(start, end - datetime.timedelta(days=366))
    return Period.days(start, end)


def parse_filters(params: Any) -> ReportFilter:
    fields = ReportFilter.__dataclass_fields__
    return ReportFilter(**{name: str(params.get(name, "")).strip()[:100] for name in fields})


def _query(period: Period, filters: ReportFilter, **extra: str) -> str:
    params = {"start": period.first_day.isoformat(), "end": period.last_day.isoformat()}
    params.update(filters.as_query())
    params.update(extra)
    return urlencode(params)


def order_url(number: str) -> str:
    try:
        return reverse("office:order", args=[number])
    except NoReverseMatch:
        return f"/orders/{number}/"


def _build(request: HttpRequest) -> tuple[Report, str]:
    user = _allowed(request_user(request))
    period = parse_period(request.GET)
    filters = parse_filters(request.GET)
    report = report_build(user=user, period=period, filters=filters)
    return report, _query(period, filters)


def _choices() -> dict[str, Any]:
    return {
        "types": WorkOrderType.objects.filter(is_active=True),
        "priorities": Priority.choices,
        "teams": Team.objects.all(),
        "regions": Region.objects.all(),
        "engineers": User.objects.filter(role=Role.ENGINEER, is_active=True).order_by("username"),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    report, query = _build(request)
    tables = report_tables(report)
    heat = report.heatmap
    chart_data = {
        "weeks": [w.period.iso for w in report.trend],
        "sla": [w.sla.percent for w in report.trend],
        "ftf": [w.ftf.percent for w in report.trend],
        "evaluation": [w.evaluation.percent for w in report.trend],
        "created": [w.created for w in report.trend],
        "closed": [w.closed for w in report.trend],
        "backlog": [w.backlog for w in report.trend],
        "heat": [[h, d, heat.cells[d][h]] for d in range(7) for h in range(24) if heat.cells[d][h]],
        "weekdays": [weekday_name(d) for d in range(7)],
        "labels": {
            "sla": _("SLA 达成率"),
            "ftf": _("一次修复率"),
            "evaluation": _("客户评价率"),
            "created": _("新建"),
            "closed": _("系统关闭"),
            "backlog": _("未完成"),
        },
    }
    context = {
        "report": report,
        "query": query,
        "cards": kpi_cards(report),
        "tables": tables,
        "breakdowns": [tables[d] for d in report.breakdowns],
        "chart_data": chart_data,
        "heat_best": "late.best" if heat.best_day is not None else "",
        "pdf_week": report.trend[-1].period.iso
        if report.trend
        else Period.week_of(report.period.last_day).iso,
        "filters": report.filters,
        **_choices(),
    }
    return render(request, "reports/dashboard.html", context)


def _figure_title(key: str) -> str:
    names = {
        "created": _("新建工单"),
        "responded": _("已响应工单"),
        "awaiting_response": _("待响应工单"),
        "arrived": _("已到场工单"),
        "resolved": _("已解决工单"),
        "ftf": _("一次修复的工单"),
        "not_ftf": _("未一次修复的工单"),
        "sla_met": _("按时解决的工单"),
        "sla_missed": _("超时解决的工单"),
        "sla_measured": _("有解决期限的工单"),
        "closed": _("系统关闭的工单"),
        "rated": _("已评价工单"),
        "promoters": _("推荐者的工单"),
        "detractors": _("贬损者的工单"),
        "backlog": _("未完成工单"),
        "overdue": _("已超期的未完成工单"),
        "late": _("超时工单"),
        "late.best": _("超时最集中时段的工单"),
        "parts": _("使用备件的工单"),
    }
    last = key.rsplit(".", 1)[-1]
    return names.get(key) or names.get(last) or _("工单")


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    """The orders behind one figure (``m`` is the figure's key), optionally exported."""
    report, query = _build(request)
    key = request.GET.get("m", "")
    if key not in report.sets:
        raise Http404(_("没有这个指标。"))
    # The parts figures list what each order's parts cost.
    costs = report.facts.parts_costs if key.rsplit(".", 1)[-1] == "parts" else None
    table = orders_table(report_orders(report, key), _figure_title(key), costs)
    fmt = request.GET.get("format", "")
    if fmt in CONTENT_TYPES:
        return _download(table_export(table, fmt), f"orders.{fmt}", fmt)
    rows = [(row, order_url(row[0].text)) for row in table.rows]
    context = {"report": report, "query": query, "key": key, "table": table, "rows": rows}
    return render(request, "reports/orders.html", context)


def _download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES.get(fmt, "application/pdf"))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    report, _query_string = _build(request)
    tables = report_tables(report)
    if table not in tables or fmt not in CONTENT_TYPES:
        raise Http404(_("没有这个报表。"))
    name = f"{table}-{report.period.first_day:%Y%m%d}-{report.period.last_day:%Y%m%d}.{fmt}"
    return _download(table_export(tables[table], fmt), name, fmt)


@login_required
def weekly_pdf(request: HttpRequest, week: str) -> HttpResponse:
    from .pdf import weekly_report_pdf

    _allowed(request_user(request))
    try:
        Period.iso_week(week)
    except ValueError:
        raise Http404(_("周的格式应为 2026-W47。"))
    return _download(weekly_report_pdf(week), f"weekly-{week}.pdf", "pdf")


def heat_link(query: str, day: int, hour: int) -> str:
    return f"{reverse('reports:orders')}?{query}&" + urlencode({"m": f"late.{day}.{hour}"})
