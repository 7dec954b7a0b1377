"""Demo ratings: most customers rate the service after it is resolved (called by
`gongdan demo`; idempotent — each order's choice is seeded by its number)."""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone

from gongdan.workorders.models import WorkOrder

from .services import rating_submit, rating_token

COMMENTS = [
    "",
    "",
    "",
    "师傅很专业，速度快。",
    "到场有点晚。",
    "问题解决了，谢谢！",
    "希望提前电话联系。",
]


def extend(context: dict[str, Any]) -> None:
    now = timezone.now()
    resolved = WorkOrder.objects.filter(resolved_at__isnull=False, rating__isnull=True)
    for order in resolved.order_by("pk"):
        rng = random.Random(order.number)
        assert order.resolved_at is not None
        rated_at = order.resolved_at + datetime.timedelta(hours=rng.uniform(0.3, 30))
        if rng.random() > 0.62 or rated_at > now:
            # Not every customer rates, and none has rated what was fixed minutes ago.
            continue
        stars = rng.choices([5, 4, 3, 2, 1], weights=[48, 30, 12, 6, 4])[0]
        recommend = min(10, max(0, stars * 2 + rng.choice([-1, 0, 0, 1])))
        rating_submit(
            token=rating_token(order),
            stars=stars,
            recommend=recommend,
            comment=rng.choice(COMMENTS),
            at=rated_at,
        )
