"""Every write to an order goes through one of these functions.

Each runs in one transaction, appends the events that describe it and sends
the signals that let routing, SLA and notifications join the same transaction.
"""

from __future__ import annotations

from .common import CORE_FIELDS, FILE_TYPES, IMAGE_TYPES, event_record, validate_order_data
from .create import work_order_create
from .notes import attachment_create, comment_create
from .workflow import (
    assignment_changes,
    assignment_record,
    available_transitions,
    work_order_assign,
    work_order_transition,
    work_order_update,
)

__all__ = [
    "CORE_FIELDS",
    "FILE_TYPES",
    "IMAGE_TYPES",
    "assignment_changes",
    "assignment_record",
    "attachment_create",
    "available_transitions",
    "comment_create",
    "event_record",
    "validate_order_data",
    "work_order_assign",
    "work_order_create",
    "work_order_transition",
    "work_order_update",
]
