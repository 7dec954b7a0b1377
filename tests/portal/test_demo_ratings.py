from __future__ import annotations

import datetime

from django.utils import timezone

from gongdan.portal import demo
from gongdan.portal.models import Rating
from gongdan.workorders.services import work_order_transition

DAYS_AGO = timezone.now() - datetime.timedelta(days=3)


def _resolve(plant, order):
    for action in ("accept", "arrive"):
        order = work_order_transition(
            order=order, actor=plant.wang, action=action, version=order.version, at=DAYS_AGO
        )
    return work_order_transition(
        order=order,
        actor=plant.wang,
        action="resolve",
        version=order.version,
        at=DAYS_AGO,
        data={
            "fault_category": "electrical",
            "fault_cause": "接触器烧毁",
            "fix_action": "更换接触器",
            "fix_result": "fixed",
        },
    )


def test_demo_rates_resolved_orders_once_as_rating_events(plant, new_order):
    resolved = [_resolve(plant, new_order(title=f"单 {i}", created_at=DAYS_AGO)) for i in range(12)]
    open_order = new_order(title="还没修好")
    demo.extend({})
    rated = Rating.objects.count()
    assert 0 < rated < len(resolved)
    assert not Rating.objects.filter(order=open_order).exists()
    for rating in Rating.objects.select_related("order"):
        event = rating.order.events.get(kind="rating")
        assert event.data["stars"] == rating.stars
        assert rating.order.resolved_at < rating.created_at <= timezone.now()
    demo.extend({})
    assert Rating.objects.count() == rated
