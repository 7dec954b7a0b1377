from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobileConfig(AppConfig):
    name = "gongdan.mobile"
    label = "mobile"
    verbose_name = _("工程师手机端")
