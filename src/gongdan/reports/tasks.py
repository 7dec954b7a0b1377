"""Worker tasks: each loads by key and calls a service."""

from __future__ import annotations

from django_tasks import task

from .services import weekly_report_send


@task()
def send_weekly_report(week: str) -> str:
    return weekly_report_send(week=week).status
