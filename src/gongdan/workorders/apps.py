from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkOrdersConfig(AppConfig):
    name = "gongdan.workorders"
    label = "workorders"
    verbose_name = _("工单")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import definitions  # noqa: F401  (connects the cache's receivers)

        post_migrate.connect(_install_blueprints, sender=self)


def _install_blueprints(**kwargs: object) -> None:
    """Built-in order types appear on migrate, so a fresh install has them."""
    from .blueprints import install_builtin_blueprints

    install_builtin_blueprints()
