"""The parts catalogue: create or update a part by its code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from gongdan.core.errors import Forbidden
from gongdan.core.models import User

from .. import permissions
from ..models import ZERO, Part


@dataclass
class PartData:
    """One catalogue row as the import and the API hand it in."""

    code: str
    name: str
    specification: str = ""
    unit: str = "个"
    unit_cost: Decimal = ZERO
    category: str = ""
    compatible_models: tuple[str, ...] = ()


@transaction.atomic
def part_save(*, actor: User, data: PartData) -> tuple[Part, bool]:
    """Create the part with this code, or update it. Returns (part, created)."""
    if not permissions.can_keep_stock(actor):
        raise Forbidden(_("只有仓库管理员可以维护备件目录。"))
    part, created = Part.objects.update_or_create(
        code=data.code,
        defaults={
            "name": data.name,
            "specification": data.specification,
            "unit": data.unit or "个",
            "unit_cost": data.unit_cost,
            "category": data.category,
            "compatible_models": list(data.compatible_models),
            "is_active": True,
        },
    )
    return part, created
