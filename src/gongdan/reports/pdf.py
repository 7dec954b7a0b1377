"""The weekly report as a PDF: WeasyPrint over a print template, charts as inline SVG."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from . import svg
from .selectors import Period, Report, report_build, weekday_name
from .tables import engineer_table, kpi_cards, late_table, trend_table


def previous_week(now: datetime.datetime | None = None) -> str:
    """The ISO week before the one ``now`` falls in, site time: ``2026-W47``."""
    today = timezone.localtime(now or timezone.now()).date()
    return Period.week_of(today - datetime.timedelta(days=7)).iso


def weekly_report_html(report: Report) -> str:
    labels = [w.period.iso.split("-")[1] for w in report.trend]
    rates = svg.line_chart(
        labels,
        [
            (_("SLA 达成率"), [w.sla.percent for w in report.trend]),
            (_("一次修复率"), [w.ftf.percent for w in report.trend]),
            (_("客户评价率"), [w.evaluation.percent for w in report.trend]),
        ],
        unit="%",
        top=100,
    )
    volumes = svg.line_chart(
        labels,
        [
            (_("新建"), [float(w.created) for w in report.trend]),
            (_("系统关闭"), [float(w.closed) for w in report.trend]),
            (_("未完成"), [float(w.backlog) for w in report.trend]),
        ],
    )
    heat = svg.heatmap(report.heatmap, [weekday_name(d) for d in range(7)])
    return render_to_string(
        "reports/weekly_pdf.html",
        {
            "report": report,
            "cards": kpi_cards(report),
            "trend": trend_table(report),
            "engineers": engineer_table(report),
            "late": late_table(report),
            "rates_svg": mark_safe(rates),
            "volumes_svg": mark_safe(volumes),
            "heat_svg": mark_safe(heat),
            "generated": timezone.localtime(report.now),
            "site": settings.PUBLIC_BASE_URL,
        },
    )


def weekly_report_pdf(week: str, now: datetime.datetime | None = None) -> bytes:
    """The PDF for ISO week ``week`` over every order (the system's view)."""
    from weasyprint import HTML

    report = report_build(user=None, period=Period.iso_week(week), now=now)
    html = weekly_report_html(report)
    return HTML(string=html, base_url=settings.PUBLIC_BASE_URL).write_pdf()  # type: ignore[no-any-return]
