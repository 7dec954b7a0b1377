from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "gongdan.notify"
    label = "notify"
    verbose_name = _("通知")

    def ready(self) -> None:
        from .receivers import connect

        connect()
