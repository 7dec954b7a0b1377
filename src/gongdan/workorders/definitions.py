"""A per-process cache of each order type's field definitions and entry states.

Every create and transition validates against the type's definitions; reading
them from the database each time cost two queries per request. The cache is
keyed by the type's ``updated_at``, which every change to a field, state or
transition bumps (see the signal receivers below), so a type edited in one
process is re-read by every other process on its next request.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from gongdan.core.cache import ProcessCache

from .models import FieldDefinition, StateCategory, Transition, WorkflowState, WorkOrderType


@dataclass(frozen=True)
class TypeDefinition:
    fields: dict[str, FieldDefinition]
    initial_state: WorkflowState
    # Where a new order goes when it gets an assignee (None: it stays where it is).
    assigned_state: WorkflowState | None


_cache: dict[int, tuple[datetime.datetime, TypeDefinition]] = {}
_lock = threading.Lock()


def type_definition(order_type: WorkOrderType) -> TypeDefinition:
    """The type's fields (by key, in order) and initial state, read once per version."""
    hit = _cache.get(order_type.pk)
    if hit is not None and hit[0] == order_type.updated_at:
        return hit[1]
    definition = TypeDefinition(
        fields={f.key: f for f in order_type.fields.all()},
        initial_state=order_type.initial_state(),
        assigned_state=order_type.states.filter(category=StateCategory.ASSIGNED).first(),
    )
    with _lock:
        _cache[order_type.pk] = (order_type.updated_at, definition)
    return definition


# Every order type by key; what a create names in its request.
_types = ProcessCache(
    lambda: {t.key: t for t in WorkOrderType.objects.all()},
    models=(WorkOrderType, FieldDefinition, WorkflowState, Transition),
)


def type_by_key(key: str) -> WorkOrderType | None:
    """The order type with this key (active or not), without a query on most calls."""
    return _types.get().get(key)


@receiver(post_save, sender=FieldDefinition)
@receiver(post_delete, sender=FieldDefinition)
@receiver(post_save, sender=WorkflowState)
@receiver(post_delete, sender=WorkflowState)
@receiver(post_save, sender=Transition)
@receiver(post_delete, sender=Transition)
def _type_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    WorkOrderType.objects.filter(pk=instance.order_type_id).update(updated_at=timezone.now())
    _cache.pop(instance.order_type_id, None)
