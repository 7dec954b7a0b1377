"""Ticker finder: the weekly report, every Monday 08:00 site time."""

from __future__ import annotations

from gongdan.core.ticker import register

from .services import weekly_report_claim_due


@register("reports.weekly")
def weekly_report_due() -> int:
    return weekly_report_claim_due()
