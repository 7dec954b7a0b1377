"""A small store room for the fixture plant: two warehouses, a few parts, the approval chain.

The chain is the brief's: the supervisor (the electrical team's leader, 刘调度)
signs every request, the manager also above ¥500, the general manager also
above ¥5,000.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from gongdan.core.models import Role
from gongdan.parts import services
from gongdan.parts.models import ApprovalRule, ApproverKind, Part, Stock, Warehouse
from tests.conftest import Plant


class Store:
    def __init__(self, plant: Plant) -> None:
        plant.electrical.leader = plant.dispatcher
        plant.electrical.save()
        plant.mechanical.leader = plant.dispatcher
        plant.mechanical.save()
        self.gm = plant.user("gm", Role.MANAGER, "钱总")
        self.main = Warehouse.objects.create(
            code="main", name="总仓", region=plant.east, keeper=plant.warehouse
        )
        self.south = Warehouse.objects.create(code="south", name="华南仓", region=plant.south)
        self.heater = Part.objects.create(
            code="HB-60",
            name="加热圈",
            specification="Φ60×50 220V 300W",
            unit="个",
            unit_cost=Decimal("85.00"),
            category="electrical",
            compatible_models=["海天 MA1600"],
        )
        self.contactor = Part.objects.create(
            code="CT-LC1D25",
            name="交流接触器",
            specification="LC1-D25 AC220V",
            unit="个",
            unit_cost=Decimal("320.00"),
            category="electrical",
            compatible_models=["海天 MA1600", "海天 MA2500"],
        )
        self.pump = Part.objects.create(
            code="HP-PV2R",
            name="液压叶片泵",
            specification="PV2R2-53",
            unit="台",
            unit_cost=Decimal("6800.00"),
            category="hydraulic",
            compatible_models=["海天 MA2500"],
        )
        self.seal = Part.objects.create(
            code="SEAL-80", name="油缸密封圈", unit="套", unit_cost=Decimal("45.00")
        )
        for part, qty in ((self.heater, 10), (self.contactor, 4), (self.pump, 2), (self.seal, 30)):
            Stock.objects.create(part=part, warehouse=self.main, quantity=Decimal(qty))
        self.supervisor_rule = ApprovalRule.objects.create(
            name="主管审批", level=1, approver_kind=ApproverKind.TEAM_LEADER
        )
        self.manager_rule = ApprovalRule.objects.create(
            name="经理审批",
            level=2,
            amount_over=Decimal("500"),
            approver_kind=ApproverKind.USER,
            approver_user=plant.manager,
            deputy=self.gm,
        )
        self.gm_rule = ApprovalRule.objects.create(
            name="总经理审批",
            level=3,
            amount_over=Decimal("5000"),
            approver_kind=ApproverKind.USER,
            approver_user=self.gm,
        )

    def stock(self, part: Part, warehouse: Warehouse | None = None) -> Decimal:
        return Stock.objects.get(part=part, warehouse=warehouse or self.main).quantity


@pytest.fixture
def store(plant: Plant) -> Store:
    return Store(plant)


@pytest.fixture
def assigned_order(plant: Plant, new_order: Callable[..., Any]) -> Any:
    """An order on IMM-001 (海天 MA1600) assigned to 王工."""
    from gongdan.workorders.services import work_order_assign

    order = new_order()
    return work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)


@pytest.fixture
def request_parts(plant: Plant, store: Store, assigned_order: Any) -> Callable[..., Any]:
    """Ask for parts on the assigned order as 王工: request_parts((part, qty), …)."""

    def make(*lines: tuple[Part, Any], actor: Any = None, order: Any = None, **kw: Any) -> Any:
        return services.requisition_create(
            actor=actor or plant.wang,
            order=order or assigned_order,
            lines=[services.LineIn(part=p, quantity=q) for p, q in lines],
            **kw,
        )

    return make
