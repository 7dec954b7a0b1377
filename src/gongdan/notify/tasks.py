"""Worker tasks: each loads by id and calls a service."""

from __future__ import annotations

from django_tasks import task

from .services import notification_deliver


@task()
def send_notification(notification_id: int) -> bool:
    return notification_deliver(notification_id=notification_id)
