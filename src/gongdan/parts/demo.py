"""Demo data for parts: a catalogue for injection-moulding shops, a store room per region,
the three-level approval chain, and requisitions at every stage on open demo orders."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gongdan.core.demo import replaying
from gongdan.core.errors import ServiceError
from gongdan.core.models import Role, User
from gongdan.workorders.models import OPEN_CATEGORIES, StateCategory, WorkOrder, WorkOrderEvent

from . import services
from .models import ApprovalRule, ApproverKind, Part, Warehouse

# code, name, specification, unit, unit cost, category, compatible (matched in asset names)
CATALOGUE = [
    ("HB-60", "加热圈", "Φ60×50 220V 300W", "个", "85", "electrical", ["MA1600", "MA2500"]),
    ("HB-80", "加热圈", "Φ80×60 220V 450W", "个", "120", "electrical", ["MA2500", "MA3600"]),
    ("TC-K", "K 型热电偶", "M6 1.5m", "支", "38", "electrical", []),
    ("CT-LC1D25", "交流接触器", "LC1-D25 AC220V", "个", "320", "electrical", []),
    ("SSR-40", "固态继电器", "SSR-40DA", "个", "65", "electrical", []),
    ("PLC-IO16", "PLC 输入模块", "16 点 DC24V", "块", "1850", "electrical", ["MA1600"]),
    ("HP-PV2R", "液压叶片泵", "PV2R2-53", "台", "6800", "hydraulic", ["MA2500", "MA3600"]),
    ("SV-4WE6", "电磁换向阀", "4WE6E 24V", "个", "980", "hydraulic", []),
    ("SEAL-80", "油缸密封圈", "Φ80 组合", "套", "45", "hydraulic", []),
    ("FLT-10", "液压油滤芯", "10μm", "个", "160", "hydraulic", []),
    ("NZ-18", "射嘴", "Φ18 SKD61", "个", "420", "mechanical", ["MA1600"]),
    ("BR-6205", "深沟球轴承", "6205-2RS", "个", "18", "mechanical", []),
]
STOCK = {"HB-60": (24, 6), "CT-LC1D25": (3, 2), "HP-PV2R": (1, 1), "SEAL-80": (40, 10)}


def _people(context: dict[str, Any]) -> list[User]:
    users = context.get("users") or {}
    people = list(users.values()) if isinstance(users, dict) else list(users)
    return people or list(User.objects.filter(is_active=True))


def _first(people: list[User], role: str) -> User | None:
    return next((u for u in people if u.role == role and u.is_active), None)


def extend(context: dict[str, Any]) -> None:
    if Part.objects.filter(code=CATALOGUE[0][0]).exists():
        return
    people = _people(context)
    keeper = _first(people, Role.WAREHOUSE) or _first(people, Role.ADMIN)
    managers = [u for u in people if u.role == Role.MANAGER]
    if keeper is None:
        return
    now = context.get("now") or timezone.now()
    for code, name, spec, unit, cost, category, fits in CATALOGUE:
        services.part_save(
            actor=keeper,
            data=services.PartData(
                code=code,
                name=name,
                specification=spec,
                unit=unit,
                unit_cost=Decimal(cost),
                category=category,
                compatible_models=tuple(fits),
            ),
        )
    regions = context.get("regions") or {}
    region_rows = list(regions.values()) if isinstance(regions, dict) else list(regions)
    warehouses = [Warehouse.objects.create(code="main", name="总仓", keeper=keeper)]
    for region in region_rows[:3]:
        warehouses.append(
            Warehouse.objects.create(
                code=f"wh-{region.code}"[:40], name=f"{region.name}备件库", region=region
            )
        )
    received_at = now - datetime.timedelta(days=60)
    for part in Part.objects.all():
        quantity, threshold = STOCK.get(part.code, (12, 3))
        for warehouse in warehouses:
            services.stock_receive(
                actor=keeper,
                part=part,
                warehouse=warehouse,
                quantity=quantity,
                reason="期初库存",
                at=received_at,
            )
            services.stock_threshold_set(
                actor=keeper, part=part, warehouse=warehouse, threshold=threshold
            )
    ApprovalRule.objects.create(name="班组长审批", level=1, approver_kind=ApproverKind.TEAM_LEADER)
    if managers:
        ApprovalRule.objects.create(
            name="经理审批",
            level=2,
            amount_over=Decimal("500"),
            approver_kind=ApproverKind.USER,
            approver_user=managers[0],
            deputy=managers[1] if len(managers) > 1 else None,
        )
        ApprovalRule.objects.create(
            name="总经理审批",
            level=3,
            amount_over=Decimal("5000"),
            approver_kind=ApproverKind.USER,
            approver_user=managers[-1],
        )
    _requisitions(context, keeper, now)
    with replaying():
        _history(keeper)


def _requisitions(context: dict[str, Any], keeper: User, now: datetime.datetime) -> None:
    """A handful of requisitions on open orders: waiting, approved, issued, returned, rejected."""
    orders = context.get("orders")
    candidates = (orders if orders is not None else WorkOrder.objects.all()).filter(
        state_category__in=OPEN_CATEGORIES, assignee__isnull=False
    )
    heater = Part.objects.get(code="HB-60")
    contactor = Part.objects.get(code="CT-LC1D25")
    seal = Part.objects.get(code="SEAL-80")
    plans: list[tuple[list[tuple[Part, int]], str]] = [
        ([(heater, 2)], "received"),
        ([(contactor, 1), (heater, 1)], "returned"),
        ([(seal, 4)], "approved"),
        ([(contactor, 2)], "pending"),
        ([(heater, 6)], "rejected"),
    ]
    for order, (lines, stage) in zip(candidates.order_by("created_at")[:5], plans, strict=False):
        engineer = order.assignee
        if (
            engineer is None
            or not WorkOrder.objects.visible_to(engineer).filter(pk=order.pk).exists()
        ):
            continue
        start = max(order.created_at, now - datetime.timedelta(hours=6))
        requisition = services.requisition_create(
            actor=engineer,
            order=order,
            lines=[services.LineIn(part=p, quantity=q) for p, q in lines],
            at=start,
        )
        moment = start
        for step in requisition.steps.order_by("position"):
            if stage == "pending":
                break
            approver = (
                step.approver
                or User.objects.filter(role=step.approver_role, is_active=True).first()
            )
            if approver is None:
                return
            moment += datetime.timedelta(minutes=35)
            requisition.refresh_from_db()
            rejecting = stage == "rejected"
            services.requisition_decide(
                actor=approver,
                requisition=requisition,
                step=step,
                approve=not rejecting,
                version=requisition.version,
                comment="库里有可修复的旧件" if rejecting else "同意",
                at=moment,
            )
            if rejecting:
                break
        requisition.refresh_from_db()
        if stage in ("received", "returned"):
            moment += datetime.timedelta(minutes=20)
            services.requisition_issue(
                actor=keeper, requisition=requisition, version=requisition.version, at=moment
            )
            requisition.refresh_from_db()
            services.requisition_receive(
                actor=engineer, requisition=requisition, version=requisition.version, at=moment
            )
        if stage == "returned":
            requisition.refresh_from_db()
            line = requisition.lines.get(part=heater)
            services.requisition_return(
                actor=keeper,
                requisition=requisition,
                quantities={line.pk: 1},
                version=requisition.version,
                reason="未使用",
                at=moment + datetime.timedelta(hours=2),
            )


def _history(keeper: User, limit: int = 40) -> None:
    """Parts for past orders that waited for them — requested when the order went to
    "waiting for parts", approved along the chain, issued and received — so parts cost
    and request-to-approval time have a history to show."""
    waits = (
        WorkOrderEvent.objects.filter(
            kind="transition", action="wait_parts", order__resolved_at__isnull=False
        )
        .select_related("order", "actor")
        .order_by("created_at")
    )
    parts = list(Part.objects.order_by("code"))
    for event in waits[:limit]:
        order, engineer = event.order, event.actor
        if engineer is None or not parts:
            continue
        rng = random.Random(order.number)
        # The order was waiting at that moment, whatever it is now.
        order.state_category = StateCategory.WAITING
        moment = event.created_at + datetime.timedelta(minutes=rng.randint(3, 15))
        try:
            with transaction.atomic():
                requisition = services.requisition_create(
                    actor=engineer,
                    order=order,
                    lines=[services.LineIn(part=rng.choice(parts), quantity=rng.randint(1, 2))],
                    at=moment,
                )
                for step in requisition.steps.order_by("position"):
                    approver = (
                        step.approver
                        or User.objects.filter(role=step.approver_role, is_active=True).first()
                    )
                    if approver is None:
                        raise ServiceError("no approver")
                    moment += datetime.timedelta(minutes=rng.choice([12, 25, 40, 70, 150]))
                    requisition.refresh_from_db()
                    services.requisition_decide(
                        actor=approver,
                        requisition=requisition,
                        step=step,
                        approve=True,
                        version=requisition.version,
                        comment="同意",
                        at=moment,
                    )
                moment += datetime.timedelta(minutes=20)
                requisition.refresh_from_db()
                services.requisition_issue(
                    actor=keeper, requisition=requisition, version=requisition.version, at=moment
                )
                requisition.refresh_from_db()
                services.requisition_receive(
                    actor=engineer, requisition=requisition, version=requisition.version, at=moment
                )
        except ServiceError:
            # Out of stock or no one to sign: that order simply had no requisition.
            continue
