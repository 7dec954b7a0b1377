"""The report's cards and tables as plain cells, shared by the pages, the PDF and the exports.

A cell carries its text and, for a count or a figure over orders, the key of
the order set behind it (``Report.sets``); pages turn that key into a link to
the orders, exports keep the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .facts import OrderFacts
from .selectors import Rate, Report, Stat, dimension_labels, health


@dataclass
class Cell:
    text: str
    key: str = ""
    css: str = ""
    # The raw number for spreadsheets (None keeps the text).
    value: float | int | None = None
    # A count of orders: the list behind it has exactly this many rows.
    is_count: bool = False


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


@dataclass
class Card:
    key: str
    label: str
    value: Cell
    health: str
    details: list[tuple[str, Cell]]
    hint: str = ""


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = seconds / 60
    if minutes < 60:
        return _("%(n)d 分钟") % {"n": round(minutes)}
    hours = minutes / 60
    if hours < 48:
        return _("%(n)s 小时") % {"n": formats.number_format(round(hours, 1), 1)}
    return _("%(n)s 天") % {"n": formats.number_format(round(hours / 24, 1), 1)}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{formats.number_format(round(value, 1), 1)}%"


def number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else formats.number_format(round(value, digits), digits)


def count(n: int, key: str) -> Cell:
    return Cell(str(n), key=key, value=n, is_count=True)


def rate_cell(rate: Rate, key: str, metric: str = "") -> Cell:
    return Cell(
        percent(rate.percent), key=key, css=health(metric, rate.percent), value=rate.percent
    )


def stat_cells(stat: Stat, key: str) -> tuple[Cell, Cell]:
    return (
        Cell(duration(stat.mean), key=key, value=stat.mean),
        Cell(duration(stat.median), key=key, value=stat.median),
    )


def kpi_cards(report: Report) -> list[Card]:
    """The dashboard's and the PDF's KPI cards, coloured by the brief's thresholds."""
    m = report.metrics
    mean, median = stat_cells(m.response_business, "responded")
    cards = [
        Card(
            "response",
            _("首次响应（工作时间）"),
            mean,
            "",
            [
                (_("中位数"), median),
                (_("自然时间均值"), Cell(duration(m.response_clock.mean), key="responded")),
                (_("已响应"), count(m.response_clock.count, "responded")),
                (_("待响应"), count(len(report.sets["awaiting_response"]), "awaiting_response")),
            ],
        ),
        Card(
            "arrival",
            _("到场时间（工作时间）"),
            Cell(duration(m.arrival_business.mean), key="arrived"),
            "",
            [
                (_("中位数"), Cell(duration(m.arrival_business.median), key="arrived")),
                (_("自然时间均值"), Cell(duration(m.arrival_clock.mean), key="arrived")),
                (_("已到场"), count(m.arrival_clock.count, "arrived")),
            ],
        ),
        Card(
            "resolution",
            _("解决时间（工作时间）"),
            Cell(duration(m.resolution_business.mean), key="resolved"),
            "",
            [
                (_("中位数"), Cell(duration(m.resolution_business.median), key="resolved")),
                (_("自然时间均值"), Cell(duration(m.resolution_clock.mean), key="resolved")),
                (_("已解决"), count(m.resolution_clock.count, "resolved")),
            ],
        ),
        Card(
            "ftf",
            _("一次修复率"),
            rate_cell(m.ftf, "ftf"),
            "",
            [
                (_("一次修复"), count(m.ftf.numerator, "ftf")),
                (_("未一次修复"), count(len(report.sets["not_ftf"]), "not_ftf")),
            ],
        ),
        Card(
            "sla",
            _("SLA 达成率"),
            rate_cell(m.sla, "sla_met", "sla"),
            health("sla", m.sla.percent),
            [
                (_("按时"), count(m.sla.numerator, "sla_met")),
                (_("超时"), count(len(report.sets["sla_missed"]), "sla_missed")),
                (_("有时限"), count(m.sla.denominator, "sla_measured")),
            ],
            _("健康 ≥ 85%，警戒 < 70%"),
        ),
        Card(
            "throughput",
            _("人均日结单"),
            Cell(number(m.throughput, 2), key="closed", css=health("throughput", m.throughput)),
            health("throughput", m.throughput),
            [
                (_("系统关闭"), count(m.closed, "closed")),
                (_("工程师"), Cell(str(m.engineers))),
                (_("工作日"), Cell(str(m.working_days))),
            ],
            _("健康 3–5，警戒 < 2"),
        ),
        Card(
            "evaluation",
            _("客户评价率"),
            rate_cell(m.evaluation, "rated", "evaluation"),
            health("evaluation", m.evaluation.percent),
            [
                (_("已评价"), count(m.evaluation.numerator, "rated")),
                (_("平均星级"), Cell(number(m.avg_stars), key="rated")),
                (_("NPS"), Cell(number(m.nps, 0), key="rated")),
                (_("推荐者"), count(m.promoters, "promoters")),
                (_("贬损者"), count(m.detractors, "detractors")),
            ],
            _("健康 > 60%，警戒 < 30%"),
        ),
        Card(
            "backlog",
            _("未完成工单"),
            count(m.backlog, "backlog"),
            "bad" if m.overdue else "",
            [
                (_("平均工龄"), Cell(duration(m.backlog_age.mean), key="backlog")),
                (_("已超期"), count(m.overdue, "overdue")),
            ],
        ),
    ]
    if m.parts_cost is not None:
        per_order = m.parts_cost_per_order
        # Link a figure only when there are orders behind it.
        cards.append(
            Card(
                "parts",
                _("单均备件成本"),
                Cell(
                    number(None if per_order is None else float(per_order), 2),
                    key="resolved" if per_order is not None else "",
                ),
                "",
                [
                    (
                        _("备件总成本"),
                        Cell(number(float(m.parts_cost), 2), key="parts" if m.parts_cost else ""),
                    )
                ],
            )
        )
    return cards


def kpi_table(report: Report) -> Table:
    table = Table("kpis", _("关键指标"), [_("指标"), _("数值"), _("明细")])
    for card in kpi_cards(report):
        details = "；".join(f"{label} {cell.text}" for label, cell in card.details)
        table.rows.append([Cell(card.label), card.value, Cell(details)])
    return table


def engineer_table(report: Report) -> Table:
    table = Table(
        "engineers",
        _("工程师"),
        [
            _("工程师"),
            _("系统关闭"),
            _("其中文员录入"),
            _("已解决待关闭"),
            _("日均关闭"),
            _("一次修复率"),
            _("平均解决时间"),
            _("平均星级"),
        ],
    )
    for r in report.engineers:
        k = f"eng.{r.engineer_id}"
        table.rows.append(
            [
                Cell(r.label),
                count(r.closed, f"{k}.closed"),
                count(r.closed_entered, f"{k}.entered"),
                count(r.awaiting_closure, f"{k}.awaiting"),
                Cell(number(r.per_day, 2), key=f"{k}.closed", value=r.per_day),
                rate_cell(r.ftf, f"{k}.ftf"),
                Cell(duration(r.resolution.mean), key=f"{k}.resolved", value=r.resolution.mean),
                Cell(number(r.avg_stars), key=f"{k}.resolved", value=r.avg_stars),
            ]
        )
    return table


def breakdown_table(report: Report, dimension: str) -> Table:
    title = dimension_labels()[dimension]
    table = Table(
        dimension,
        _("按%(dimension)s") % {"dimension": title},
        [title, _("新建"), _("已解决"), _("SLA 达成率"), _("未完成"), _("超时")],
    )
    for r in report.breakdowns[dimension]:
        k = f"{dimension}.{r.key}"
        table.rows.append(
            [
                Cell(r.label),
                count(r.created, f"{k}.created"),
                count(r.resolved, f"{k}.resolved"),
                rate_cell(r.sla, f"{k}.sla_met", "sla"),
                count(r.backlog, f"{k}.backlog"),
                count(r.late, f"{k}.late"),
            ]
        )
    return table


def trend_table(report: Report) -> Table:
    table = Table(
        "trend",
        _("周趋势"),
        [
            _("周"),
            _("新建"),
            _("首次响应"),
            _("一次修复率"),
            _("SLA 达成率"),
            _("评价率"),
            _("系统关闭"),
            _("未完成"),
        ],
    )
    for w in report.trend:
        k = f"week.{w.period.iso}"
        table.rows.append(
            [
                Cell(w.period.iso),
                count(w.created, f"{k}.created"),
                Cell(duration(w.response_business.mean), key=f"{k}.responded"),
                rate_cell(w.ftf, f"{k}.ftf"),
                rate_cell(w.sla, f"{k}.sla_met", "sla"),
                rate_cell(w.evaluation, f"{k}.rated", "evaluation"),
                count(w.closed, f"{k}.closed"),
                count(w.backlog, f"{k}.backlog"),
            ]
        )
    return table


def late_table(report: Report) -> Table:
    table = Table(
        "late",
        _("最超时的十张工单"),
        [_("工单号"), _("标题"), _("类型"), _("创建时间"), _("解决期限"), _("超时")],
    )
    for f, late in report.late:
        table.rows.append(
            [
                Cell(f.number, key=f"#{f.number}"),
                Cell(f.title),
                Cell(f.type_name),
                Cell(local(f.created_at)),
                Cell(local(f.resolution_due_at)),
                Cell(duration(late), value=round(late / 3600, 2)),
            ]
        )
    return table


def local(moment: object) -> str:
    if moment is None:
        return "—"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]


def orders_table(
    orders: list[OrderFacts], title: str, costs: dict[int, Decimal] | None = None
) -> Table:
    """The orders behind a figure; with ``costs``, each order's parts cost as well."""
    table = Table(
        "orders",
        title,
        [
            _("工单号"),
            _("标题"),
            _("类型"),
            _("优先级"),
            _("设备"),
            _("客户"),
            _("创建时间"),
            _("首次响应"),
            _("解决时间"),
            _("关闭时间"),
            _("解决期限"),
            _("重开次数"),
            _("星级"),
        ],
    )
    for f in orders:
        table.rows.append(
            [
                Cell(f.number, key=f"#{f.number}"),
                Cell(f.title),
                Cell(f.type_name),
                Cell(f.priority),
                Cell(f.asset_label),
                Cell(f.customer),
                Cell(local(f.created_at)),
                Cell(local(f.first_response_at)),
                Cell(local(f.resolved_at)),
                Cell(local(f.closed_at)),
                Cell(local(f.resolution_due_at)),
                Cell(str(f.reopens), value=f.reopens),
                Cell("" if f.stars is None else str(f.stars), value=f.stars),
            ]
        )
    if costs is not None:
        table.headers.append(_("备件成本"))
        for f, row in zip(orders, table.rows, strict=True):
            cost = costs.get(f.id, Decimal(0))
            row.append(Cell(number(float(cost), 2), value=float(cost)))
    return table


def report_tables(report: Report) -> dict[str, Table]:
    """Every exportable table of a report, by name."""
    tables = {
        "kpis": kpi_table(report),
        "trend": trend_table(report),
        "engineers": engineer_table(report),
        "late": late_table(report),
    }
    for dimension in report.breakdowns:
        tables[dimension] = breakdown_table(report, dimension)
    return tables
