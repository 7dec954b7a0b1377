from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "gongdan.portal"
    label = "portal"
    verbose_name = _("扫码报修与评价")

    def ready(self) -> None:
        from gongdan.workorders import signals

        from .receivers import send_rating_link

        signals.work_order_transitioned.connect(send_rating_link, dispatch_uid="portal.rating")
