from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "gongdan.routing"
    label = "routing"
    verbose_name = _("自动派单")

    def ready(self) -> None:
        from .receivers import connect

        connect()
