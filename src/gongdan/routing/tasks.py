"""Worker tasks for routing."""

from __future__ import annotations

from django_tasks import task

from .services import routing_accept_timeout


@task()
def reroute_unaccepted(order_id: int) -> bool:
    return routing_accept_timeout(order_id=order_id)
