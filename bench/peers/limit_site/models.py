from __future__ import annotations

from django.db import models
from django.utils import timezone


class Row(models.Model):
    """The single table the limit writes to: about the width of a work order's core."""

    title = models.CharField(max_length=200)
    priority = models.CharField(max_length=10)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "limit_site"

    def __str__(self) -> str:
        return self.title
