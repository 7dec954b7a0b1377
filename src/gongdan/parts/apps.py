from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    name = "gongdan.parts"
    label = "parts"
    verbose_name = _("备件")

    def ready(self) -> None:
        from django.apps import apps

        if apps.is_installed("gongdan.notify"):
            from .messages import register

            register()
