"""What the office screens remember per person: saved board and list views."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongdan.core.models import TimeStampedModel


class ViewKind(models.TextChoices):
    BOARD = "board", _("看板")
    LIST = "list", _("列表")


class SavedView(TimeStampedModel):
    """A named set of board or list filters, kept as the URL query string so a saved
    view and a bookmark are the same thing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类型"), max_length=10, choices=ViewKind.choices)
    query = models.CharField(_("筛选条件"), max_length=1000, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "name"], name="unique_saved_view"),
        ]
        verbose_name = _("保存的视图")
        verbose_name_plural = _("保存的视图")

    def __str__(self) -> str:
        return self.name
