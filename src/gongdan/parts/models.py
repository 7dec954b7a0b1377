"""Spare parts: catalogue, warehouses, stock and its movements, requisitions and approvals.

Stock is one row per part and warehouse, changed only by guarded UPDATEs in
parts.services; every change leaves a StockMovement, so the balance can always
be explained. A requisition belongs to a work order and walks through the
approval steps that the ApprovalRule rows (data, not code) chose for it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongdan.core.models import Role, Team, TimeStampedModel

ZERO = Decimal("0")


class Part(TimeStampedModel):
    """A catalogue entry: what the warehouse stocks and engineers ask for."""

    code = models.CharField(_("备件编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    specification = models.CharField(_("规格型号"), max_length=200, blank=True)
    unit = models.CharField(_("单位"), max_length=20, default="个")
    unit_cost = models.DecimalField(_("单价"), default=ZERO, max_digits=14, decimal_places=2)
    category = models.CharField(_("类别"), max_length=60, blank=True, db_index=True)
    # Equipment models the part fits ("海天 MA1600"); matched against the
    # order's machine to suggest parts first.
    compatible_models = models.JSONField(_("适用机型"), default=list, blank=True)
    photo = models.ImageField(_("照片"), upload_to="parts/", blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("备件")
        verbose_name_plural = _("备件")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Warehouse(TimeStampedModel):
    """A store room; its keeper gets the pick lists and low-stock warnings."""

    code = models.SlugField(_("仓库代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(
        "core.Region", verbose_name=_("区域"), null=True, blank=True, on_delete=models.SET_NULL
    )
    keeper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("库管员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kept_warehouses",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("仓库")
        verbose_name_plural = _("仓库")

    def __str__(self) -> str:
        return self.name


class Stock(models.Model):
    """How many of a part one warehouse holds, and when to warn that it runs low."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="stock")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock")
    quantity = models.DecimalField(_("库存数量"), default=ZERO, max_digits=12, decimal_places=2)
    low_threshold = models.DecimalField(
        _("安全库存"), default=ZERO, max_digits=12, decimal_places=2
    )
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        ordering = ["warehouse", "part"]
        constraints = [
            models.UniqueConstraint(fields=["part", "warehouse"], name="unique_stock_row"),
            # The last line of defence: the services already refuse to go below zero.
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="stock_never_negative"
            ),
        ]
        verbose_name = _("库存")
        verbose_name_plural = _("库存")

    def __str__(self) -> str:
        return f"{self.warehouse} · {self.part.code}: {self.quantity}"

    @property
    def is_low(self) -> bool:
        return self.low_threshold > 0 and self.quantity <= self.low_threshold


class MovementKind(models.TextChoices):
    RECEIVE = "receive", _("入库")
    ISSUE = "issue", _("领用出库")
    RETURN = "return", _("退库")
    ADJUST = "adjust", _("盘点调整")
    TRANSFER_OUT = "transfer_out", _("调拨出")
    TRANSFER_IN = "transfer_in", _("调拨入")


class StockMovement(models.Model):
    """One change of stock: who, when, why, by how much, and the balance after it."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("类型"), max_length=20, choices=MovementKind.choices)
    # Signed: issues and transfers out are negative.
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2)
    balance_after = models.DecimalField(_("结存"), max_digits=12, decimal_places=2)
    unit_cost = models.DecimalField(_("单价"), max_digits=14, decimal_places=2)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    order = models.ForeignKey(
        "workorders.WorkOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="part_movements",
    )
    requisition = models.ForeignKey(
        "parts.Requisition",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="movements",
    )
    # Both halves of a transfer carry the same reference.
    reference = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["warehouse", "part", "created_at"], name="movement_stock_idx"),
            models.Index(fields=["kind", "created_at"], name="movement_kind_idx"),
        ]
        verbose_name = _("库存流水")
        verbose_name_plural = _("库存流水")

    def __str__(self) -> str:
        return f"{self.kind} {self.part_id} {self.quantity}"


class ApproverKind(models.TextChoices):
    TEAM_LEADER = "team_leader", _("申请人班组负责人")
    ROLE = "role", _("指定角色")
    USER = "user", _("指定人员")


class ApprovalRule(TimeStampedModel):
    """One level of the approval chain and when it applies — configured by administrators.

    A requisition gets one step per matching active rule, in ``level`` order:
    e.g. the supervisor for every request, the manager above ¥500, the general
    manager above ¥5,000.
    """

    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("审批顺序"), default=1)
    # Applies when the requisition's amount is strictly above this (empty: any amount).
    amount_over = models.DecimalField(
        _("金额超过"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    # Applies when any line's part is in one of these categories (empty: any).
    categories = models.JSONField(_("备件类别"), default=list, blank=True)
    # Applies when the requester belongs to one of these teams (empty: any).
    teams = models.ManyToManyField(Team, verbose_name=_("申请班组"), blank=True)
    approver_kind = models.CharField(
        _("审批人"), max_length=20, choices=ApproverKind.choices, default=ApproverKind.USER
    )
    approver_role = models.CharField(_("审批角色"), max_length=20, choices=Role.choices, blank=True)
    approver_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who takes over when the step waits too long; empty: a manager.
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代理审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    limit_minutes = models.PositiveIntegerField(_("时限（工作分钟）"), default=120)
    escalate_after_minutes = models.PositiveIntegerField(_("催办后升级（工作分钟）"), default=30)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["level", "id"]
        verbose_name = _("审批规则")
        verbose_name_plural = _("审批规则")

    def __str__(self) -> str:
        return self.name


class ChargeTo(models.TextChoices):
    INTERNAL = "internal", _("内部维修")
    WARRANTY = "warranty", _("保修")
    CUSTOMER = "customer", _("客户付费")


class RequisitionStatus(models.TextChoices):
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("待发料")
    REJECTED = "rejected", _("已驳回")
    ISSUED = "issued", _("已发料")
    RECEIVED = "received", _("已签收")
    CANCELLED = "cancelled", _("已撤销")


class Requisition(models.Model):
    """A request for parts from a work order. Change it only through parts.services."""

    number = models.CharField(_("领料单号"), max_length=20, unique=True)
    order = models.ForeignKey(
        "workorders.WorkOrder",
        verbose_name=_("工单"),
        on_delete=models.PROTECT,
        related_name="requisitions",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="requisitions",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("班组"), null=True, blank=True, on_delete=models.SET_NULL
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="requisitions"
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=RequisitionStatus.choices,
        default=RequisitionStatus.PENDING,
        db_index=True,
    )
    amount = models.DecimalField(_("金额"), default=ZERO, max_digits=14, decimal_places=2)
    charge_to = models.CharField(
        _("费用承担"), max_length=20, choices=ChargeTo.choices, default=ChargeTo.INTERNAL
    )
    note = models.CharField(_("备注"), max_length=500, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    issued_at = models.DateTimeField(_("发料时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("领料单")
        verbose_name_plural = _("领料单")

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in (RequisitionStatus.PENDING, RequisitionStatus.APPROVED)


class RequisitionLine(models.Model):
    """One part on a requisition; the cost is frozen at the price of the day."""

    requisition = models.ForeignKey(Requisition, on_delete=models.CASCADE, related_name="lines")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("申请数量"), max_digits=12, decimal_places=2)
    unit_cost = models.DecimalField(_("单价"), max_digits=14, decimal_places=2)
    quantity_issued = models.DecimalField(
        _("已发数量"), default=ZERO, max_digits=12, decimal_places=2
    )
    quantity_returned = models.DecimalField(
        _("已退数量"), default=ZERO, max_digits=12, decimal_places=2
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("领料明细")
        verbose_name_plural = _("领料明细")

    def __str__(self) -> str:
        return f"{self.part_id} × {self.quantity}"

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_cost

    @property
    def quantity_used(self) -> Decimal:
        return self.quantity_issued - self.quantity_returned


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("未开始")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("已驳回")
    SKIPPED = "skipped", _("未执行")


class ApprovalStep(models.Model):
    """One signature a requisition needs. ``due_at``/``escalate_at`` are indexed so the
    ticker finds the steps that have waited too long."""

    requisition = models.ForeignKey(Requisition, on_delete=models.CASCADE, related_name="steps")
    rule = models.ForeignKey(
        ApprovalRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("环节"), max_length=100)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approval_steps",
    )
    # When no single person is named, anyone holding this role may decide.
    approver_role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=StepStatus.choices, default=StepStatus.WAITING
    )
    limit_minutes = models.PositiveIntegerField(default=120)
    escalate_after_minutes = models.PositiveIntegerField(default=30)
    activated_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalate_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(_("意见"), max_length=500, blank=True)

    class Meta:
        ordering = ["requisition", "position", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="step_due_idx"),
            models.Index(fields=["status", "escalate_at"], name="step_escalate_idx"),
        ]
        verbose_name = _("审批环节")
        verbose_name_plural = _("审批环节")

    def __str__(self) -> str:
        return f"{self.requisition_id} #{self.position} {self.name}"


class RequisitionEvent(models.Model):
    """Append-only history of a requisition: requested, each decision, issue, receipt, return."""

    requisition = models.ForeignKey(Requisition, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=50)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("领料单记录")
        verbose_name_plural = _("领料单记录")

    def __str__(self) -> str:
        return f"{self.requisition_id} {self.action}"
