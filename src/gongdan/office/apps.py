from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficeConfig(AppConfig):
    name = "gongdan.office"
    label = "office"
    verbose_name = _("办公界面")
