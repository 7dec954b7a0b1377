"""Who may see and change the equipment registry."""

from __future__ import annotations

from typing import Any

from gongdan.core.models import Role

MANAGER_ROLES = {Role.ADMIN, Role.DISPATCHER, Role.CLERK}


def can_view_assets(user: Any) -> bool:
    """Staff see the registry; requesters only meet machines through their QR label."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role != Role.REQUESTER)
    )


def can_manage_assets(user: Any) -> bool:
    return bool(user.is_active and (user.is_superuser or user.role in MANAGER_ROLES))
