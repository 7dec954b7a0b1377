"""Every write to stock, requisitions and approvals goes through one of these functions.

Each runs in one transaction. Stock changes are guarded UPDATEs (``quantity >=
wanted``), so two people issuing the last unit at the same moment cannot both
succeed and the balance never goes below zero. Each requisition step appends an
event to the work order's timeline and to the requisition's own history.

The functions live in modules by subdomain and are all importable from here:
``catalogue`` (parts), ``stock`` (movements and thresholds), ``charging`` (who
pays), ``requisitions`` (request, issue, receive, return, cancel), ``approvals``
(chains and decisions), ``escalation`` (reminders and deputies, for the ticker);
``common`` and ``records`` hold the helpers they share.
"""

from __future__ import annotations

# Callers catch the services' errors through this module (services.Forbidden).
from gongdan.core.errors import Forbidden

from .approvals import requisition_decide, step_deciders
from .catalogue import PartData, part_save
from .charging import charge_basis
from .common import MAX_QUANTITY, clean_quantity
from .escalation import approval_step_escalate, approval_step_remind
from .requisitions import (
    LineIn,
    requisition_cancel,
    requisition_create,
    requisition_issue,
    requisition_receive,
    requisition_return,
)
from .stock import (
    OutOfStock,
    stock_adjust,
    stock_receive,
    stock_threshold_set,
    stock_transfer,
)

__all__ = [
    "MAX_QUANTITY",
    "Forbidden",
    "LineIn",
    "OutOfStock",
    "PartData",
    "approval_step_escalate",
    "approval_step_remind",
    "charge_basis",
    "clean_quantity",
    "part_save",
    "requisition_cancel",
    "requisition_create",
    "requisition_decide",
    "requisition_issue",
    "requisition_receive",
    "requisition_return",
    "step_deciders",
    "stock_adjust",
    "stock_receive",
    "stock_threshold_set",
    "stock_transfer",
]
