"""Order types, their fields and workflow as data; orders and their append-only events."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongdan.core.i18n import pick
from gongdan.core.models import Region, Team, TimeStampedModel


class Priority(models.TextChoices):
    RED = "red", _("红色 · 停机风险")
    YELLOW = "yellow", _("黄色 · 性能下降")
    BLUE = "blue", _("蓝色 · 计划保养")


# Lower sorts first: red orders head every list and board column.
PRIORITY_RANK = {Priority.RED: 0, Priority.YELLOW: 1, Priority.BLUE: 2}
PRIORITIES = frozenset(Priority.values)


def priority_word(priority: str) -> str:
    """The colour word of a priority in the active language ("红色 · 停机风险" →
    "红色"): what fits on a phone's badge and in a message's first words."""
    try:
        label = str(Priority(priority).label)
    except ValueError:
        return priority
    return label.split(" · ")[0]


class StateCategory(models.TextChoices):
    NEW = "new", _("新建")
    ASSIGNED = "assigned", _("已派单")
    IN_PROGRESS = "in_progress", _("处理中")
    WAITING = "waiting", _("等待中")
    RESOLVED = "resolved", _("已解决")
    CLOSED = "closed", _("已关闭")
    CANCELLED = "cancelled", _("已取消")


OPEN_CATEGORIES = (
    StateCategory.NEW,
    StateCategory.ASSIGNED,
    StateCategory.IN_PROGRESS,
    StateCategory.WAITING,
)


class FieldType(models.TextChoices):
    TEXT = "text", _("单行文本")
    LONG_TEXT = "long_text", _("多行文本")
    INTEGER = "integer", _("整数")
    DECIMAL = "decimal", _("小数")
    BOOLEAN = "boolean", _("是/否")
    DATE = "date", _("日期")
    DATETIME = "datetime", _("日期时间")
    CHOICE = "choice", _("单选")
    MULTI_CHOICE = "multi_choice", _("多选")
    USER = "user", _("人员")
    ASSET = "asset", _("设备")
    LOCATION = "location", _("位置")
    PHOTO = "photo", _("照片")
    FILE = "file", _("文件")


class WorkOrderType(TimeStampedModel):
    """A kind of work (售后服务, 设备维修 …) defined entirely as data."""

    key = models.SlugField(_("标识"), max_length=50, unique=True)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    description_zh = models.TextField(_("说明"), blank=True)
    description_en = models.TextField(_("英文说明"), blank=True)
    default_priority = models.CharField(
        _("默认优先级"), max_length=10, choices=Priority.choices, default=Priority.YELLOW
    )
    # Sections of the form: [{"title": {"zh":…, "en":…}, "fields": [key, …]}].
    layout = models.JSONField(_("表单布局"), default=list, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    is_builtin = models.BooleanField(_("内置"), default=False)

    class Meta:
        ordering = ["key"]
        verbose_name = _("工单类型")
        verbose_name_plural = _("工单类型")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick(self.name_zh, self.name_en)

    @property
    def description(self) -> str:
        return pick(self.description_zh, self.description_en)

    def initial_state(self) -> WorkflowState:
        state = self.states.filter(is_initial=True).first() or self.states.first()
        if state is None:
            raise WorkflowState.DoesNotExist(f"type {self.key} has no states")
        return state


class FieldDefinition(models.Model):
    """One custom field of an order type; values live in WorkOrder.data[key]."""

    order_type = models.ForeignKey(WorkOrderType, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("字段标识"), max_length=50)
    label_zh = models.CharField(_("名称"), max_length=100)
    label_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    field_type = models.CharField(_("类型"), max_length=20, choices=FieldType.choices)
    required = models.BooleanField(_("必填"), default=False)
    # [{"value": "electrical", "zh": "电气", "en": "Electrical"}, …]
    choices = models.JSONField(_("选项"), default=list, blank=True)
    min_value = models.DecimalField(
        _("最小值"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("最大值"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    max_length = models.PositiveIntegerField(_("最大长度"), null=True, blank=True)
    regex = models.CharField(_("格式（正则）"), max_length=200, blank=True)
    help_zh = models.CharField(_("帮助"), max_length=300, blank=True)
    help_en = models.CharField(_("英文帮助"), max_length=300, blank=True)
    # State keys; empty means "every state".
    visible_states = models.JSONField(_("可见状态"), default=list, blank=True)
    required_states = models.JSONField(_("必填状态"), default=list, blank=True)
    position = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["order_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order_type", "key"], name="unique_field_key"),
        ]
        verbose_name = _("字段定义")
        verbose_name_plural = _("字段定义")

    def __str__(self) -> str:
        return f"{self.order_type.key}.{self.key}"

    @property
    def label(self) -> str:
        return pick(self.label_zh, self.label_en)

    @property
    def help(self) -> str:
        return pick(self.help_zh, self.help_en)

    def choice_label(self, value: Any) -> str:
        for choice in self.choices:
            if choice.get("value") == value:
                return pick(choice.get("zh", value), choice.get("en", ""))
        return str(value)

    def validate(self, value: Any) -> Any:
        """Return the cleaned value or raise FieldValueError with a translated reason."""
        from .fields import clean_field_value

        return clean_field_value(self, value)


class WorkflowState(models.Model):
    """A state of an order type's workflow, with the category that boards and metrics use."""

    order_type = models.ForeignKey(WorkOrderType, on_delete=models.CASCADE, related_name="states")
    key = models.SlugField(_("状态标识"), max_length=50)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    category = models.CharField(_("类别"), max_length=20, choices=StateCategory.choices)
    is_initial = models.BooleanField(_("初始状态"), default=False)
    position = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["order_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order_type", "key"], name="unique_state_key"),
        ]
        verbose_name = _("状态")
        verbose_name_plural = _("状态")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick(self.name_zh, self.name_en)


class Transition(models.Model):
    """An action that moves an order between states, who may fire it and what it needs."""

    order_type = models.ForeignKey(
        WorkOrderType, on_delete=models.CASCADE, related_name="transitions"
    )
    key = models.SlugField(_("动作标识"), max_length=50)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    from_states = models.ManyToManyField(WorkflowState, related_name="outgoing", blank=True)
    to_state = models.ForeignKey(WorkflowState, on_delete=models.CASCADE, related_name="incoming")
    # Role values, plus "assignee" (the current assignee) and "requester" (the order's).
    allowed_roles = models.JSONField(_("允许的角色"), default=list, blank=True)
    required_fields = models.JSONField(_("必填字段"), default=list, blank=True)
    requires_comment = models.BooleanField(_("需要说明"), default=False)
    # Grabbing an order from the pool: the actor becomes the assignee.
    assign_to_actor = models.BooleanField(_("由执行人接单"), default=False)
    # Declining or handing back: the order returns to the queue.
    clears_assignee = models.BooleanField(_("退回待派"), default=False)
    position = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["order_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order_type", "key"], name="unique_transition_key"),
        ]
        verbose_name = _("流转动作")
        verbose_name_plural = _("流转动作")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick(self.name_zh, self.name_en)


class OrderNumberSequence(models.Model):
    """The last order number handed out per year, bumped with a guarded UPDATE."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class WorkOrderQuerySet(models.QuerySet["WorkOrder"]):
    def visible_to(self, user: Any) -> WorkOrderQuerySet:
        """The orders this user may see: the single row-level access rule."""
        from gongdan.core.models import Role

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_orders:
            return self
        if user.role == Role.ENGINEER:
            scope = models.Q(assignee=user) | models.Q(created_by=user)
            mode = settings.ENGINEER_SCOPE
            if mode in ("team", "team_or_region") and user.team_id:
                scope |= models.Q(team_id=user.team_id)
            if mode in ("region", "team_or_region") and user.region_id:
                scope |= models.Q(region_id=user.region_id)
            return self.filter(scope)
        return self.filter(models.Q(requester=user) | models.Q(created_by=user))

    def open(self) -> WorkOrderQuerySet:
        return self.filter(state_category__in=OPEN_CATEGORIES)

    def with_related(self) -> WorkOrderQuerySet:
        return self.select_related(
            "type", "state", "asset", "assignee", "requester", "team", "region"
        )


class WorkOrder(models.Model):
    """A work order. Change it only through workorders.services."""

    # Foreign keys with db_index=False lead one of the composite indexes in Meta,
    # which serves their look-ups as well; every index is written on every create.
    number = models.CharField(_("工单号"), max_length=20, unique=True)
    type = models.ForeignKey(
        WorkOrderType,
        verbose_name=_("类型"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    priority = models.CharField(_("优先级"), max_length=10, choices=Priority.choices)
    priority_rank = models.PositiveSmallIntegerField(default=1)
    asset = models.ForeignKey(
        "assets.Asset",
        verbose_name=_("设备"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    customer = models.CharField(_("客户"), max_length=200, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报修人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_orders",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_orders",
        db_index=False,
    )
    # The person the order is recorded as coming from; entered_by is the clerk
    # who typed a paper order in on their behalf (empty when the same person).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="created_orders",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entered_orders",
        # Nobody looks orders up by who typed them in; an index here only slowed
        # every create.
        db_index=False,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("班组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("区域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    state = models.ForeignKey(
        WorkflowState, verbose_name=_("状态"), on_delete=models.PROTECT, related_name="orders"
    )
    # Copied from state.category so boards and metrics filter on one indexed column.
    state_category = models.CharField(_("状态类别"), max_length=20, choices=StateCategory.choices)
    data = models.JSONField(_("自定义字段"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    # Milestones and deadlines: indexed so the ticker finds what is due cheaply.
    first_response_at = models.DateTimeField(_("首次响应"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # The ticker watches the SLA clock's next_check_at, not these; only the
    # resolution deadline is a sort key of the lists.
    response_due_at = models.DateTimeField(_("响应期限"), null=True, blank=True)
    arrival_due_at = models.DateTimeField(_("到场期限"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("解决期限"), null=True, blank=True, db_index=True)

    objects = WorkOrderQuerySet.as_manager()

    class Meta:
        ordering = ["priority_rank", "-created_at"]
        indexes = [
            models.Index(
                fields=["state_category", "priority_rank", "created_at"], name="wo_board_idx"
            ),
            # Priority too, so routing counts an engineer's weighted open load from
            # the index alone.
            models.Index(fields=["assignee", "state_category", "priority"], name="wo_assignee_idx"),
            models.Index(fields=["team", "state_category"], name="wo_team_idx"),
            models.Index(fields=["region", "state_category"], name="wo_region_idx"),
            models.Index(fields=["type", "created_at"], name="wo_type_idx"),
            models.Index(fields=["requester", "created_at"], name="wo_requester_idx"),
        ]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state_category in OPEN_CATEGORIES


class EventKind(models.TextChoices):
    CREATED = "created", _("创建")
    TRANSITION = "transition", _("状态变更")
    ASSIGNED = "assigned", _("派单")
    UPDATED = "updated", _("修改")
    COMMENT = "comment", _("评论")
    ATTACHMENT = "attachment", _("附件")
    ROUTING = "routing", _("自动派单")
    SLA = "sla", _("时限")
    NOTIFICATION = "notification", _("通知")
    RATING = "rating", _("评价")


class ImmutableError(Exception):
    pass


class WorkOrderEvent(models.Model):
    """Something that happened to an order. Append-only: the timeline, the audit
    trail and the single source of every metric."""

    # Events are read per order (event_order_idx leads with it) — the timeline, the
    # SLA clock's replay, the reports' facts; every create writes three, so no other
    # index (one on kind and time, read by nothing, cost a create three WAL pages).
    order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=50, blank=True)
    from_state = models.CharField(max_length=50, blank=True)
    to_state = models.CharField(max_length=50, blank=True)
    # {"before": {…}, "after": {…}, "comment": …} — whatever the kind records.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["order", "created_at"], name="event_order_idx"),
        ]
        verbose_name = _("工单事件")
        verbose_name_plural = _("工单事件")

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableError("work order events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("work order events are append-only")


class Comment(models.Model):
    """A note on an order, from a person or typed by a clerk on their behalf."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("内容"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("评论")
        verbose_name_plural = _("评论")

    def __str__(self) -> str:
        return self.body[:40]


def attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{instance.order_id}/{filename}"


class Attachment(models.Model):
    """A photo or file on an order; the type is sniffed from the content."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=300, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    tag = models.CharField(_("标签"), max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name or self.file.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class IdempotencyKey(models.Model):
    """Remembers which order a client's Idempotency-Key produced, so a retry returns it."""

    # "user:<id>" for signed-in clients; other entry points (public scan pages)
    # bring their own scope.
    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=100)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="unique_idempotency_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
