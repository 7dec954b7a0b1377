"""Signal receivers: the rating link goes to the requester when an order is resolved."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from gongdan.workorders.models import StateCategory, WorkOrder

log = logging.getLogger("gongdan.portal")


def send_rating_link(*, order: WorkOrder, transition: Any, **kwargs: Any) -> None:
    """On resolve, send the requester a link to rate the service (inside the transaction,
    so the outbox row commits with the resolution)."""
    from .services import PORTAL_USERNAME, rating_url

    if transition.to_state.category != StateCategory.RESOLVED:
        return
    requester = order.requester
    # Scan reports have no person behind the system requester: the QR on the
    # engineer's phone and print view is how those customers rate.
    if requester is None or not requester.is_active or requester.username == PORTAL_USERNAME:
        return
    try:
        notify_services = importlib.import_module("gongdan.notify.services")
    except ImportError:
        return
    # The outbox words the message in the requester's language; its link is the rating page.
    notify_services.notify(
        recipient=requester,
        template="rating_request",
        context={"link": rating_url(order)},
        order=order,
    )
