"""The customer's rating of a resolved order."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongdan.workorders.models import WorkOrder


class Rating(models.Model):
    """One per order: 1–5 stars, 0–10 "would you recommend" (for NPS), a comment.

    The same values are on the order's timeline as a *rating* event, which is what
    reports read; this row enforces "one rating per order" with its unique key.
    """

    order = models.OneToOneField(WorkOrder, on_delete=models.CASCADE, related_name="rating")
    stars = models.PositiveSmallIntegerField(
        _("满意度"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    recommend = models.PositiveSmallIntegerField(
        _("推荐意愿"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    comment = models.TextField(_("评价"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="rating_stars_range"
            ),
            models.CheckConstraint(
                condition=models.Q(recommend__gte=0, recommend__lte=10),
                name="rating_recommend_range",
            ),
        ]
        verbose_name = _("评价")
        verbose_name_plural = _("评价")

    def __str__(self) -> str:
        return f"{self.order_id} {self.stars}★ {self.recommend}"
