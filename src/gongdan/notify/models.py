"""The notification outbox, the in-app inbox, channel endpoints and preferences."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel

from gongdan.core.models import Team, TimeStampedModel


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内信")
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")
    WECOM = "wecom", _("企业微信机器人")
    DINGTALK = "dingtalk", _("钉钉机器人")
    FEISHU = "feishu", _("飞书机器人")
    WEBHOOK = "webhook", _("Webhook")


# Channels that post to a configured endpoint rather than to a person's address.
ENDPOINT_CHANNELS = frozenset(
    {Channel.SMS, Channel.WECOM, Channel.DINGTALK, Channel.FEISHU, Channel.WEBHOOK}
)


class Status(models.TextChoices):
    PENDING = "pending", _("待发送")
    QUEUED = "queued", _("已排队")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Endpoint(TimeStampedModel):
    """Where a robot, SMS or webhook message goes, with its secret.

    A team's endpoint is used for its members; an endpoint without a team is the
    fallback for everyone.
    """

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    url = models.URLField(_("地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=200, blank=True)
    # Channel specifics read through a pydantic model (SmsConfig for SMS).
    config = models.JSONField(_("参数"), default=dict, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("班组"), null=True, blank=True, on_delete=models.CASCADE
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("通知端点")
        verbose_name_plural = _("通知端点")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"


class SmsConfig(BaseModel):
    """An Aliyun-compatible SMS provider: access key, signature name and template."""

    access_key_id: str
    sign_name: str
    template_code: str
    region_id: str = "cn-hangzhou"


class Preference(models.Model):
    """How a person wants to be told; the in-app inbox is always on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preference"
    )
    channels = models.JSONField(_("通知渠道"), default=list, blank=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return str(self.user)


class Notification(models.Model):
    """One message in the outbox. Written in the transaction of the change that
    causes it; sent after commit by the worker; its id travels with it so a
    receiver can drop a repeat."""

    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notify_inbox_idx leads with the recipient
    )
    order = models.ForeignKey(
        "workorders.WorkOrder",
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    endpoint = models.ForeignKey(
        Endpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read through the row, never searched by
    )
    template = models.CharField(_("模板"), max_length=50)
    # {"subject", "body", "url", "language", "urgent"} rendered when written.
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    # When the ticker should look at the row next: a deferred or retried
    # message, or a send whose worker vanished (the claim's lease ran out).
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_due_idx"),
            models.Index(fields=["recipient", "channel", "read_at"], name="notify_inbox_idx"),
        ]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} → {self.recipient}"

    @property
    def subject(self) -> str:
        return str(self.payload.get("subject", ""))

    @property
    def body(self) -> str:
        return str(self.payload.get("body", ""))


class MessageBatch(models.Model):
    """Messages asked for while a new order's rows were built, not yet made: who, which
    text, about which order, by which channel. Written in the order's transaction (so
    they exist exactly when the order does); the ticker's notifications lane turns
    each into outbox rows — rendered in the recipient's language — and deletes the
    batch, in one transaction, within a second of the commit.

    A create is the busiest write there is, and rendering its messages and writing a
    row per channel was a fifth of it; one row with one index is what is left."""

    # Context values a caller passes (a quantity, a lazy text) need not be JSON's own.
    messages = models.JSONField(_("消息"), default=list, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("待生成消息")
        verbose_name_plural = _("待生成消息")

    def __str__(self) -> str:
        return f"#{self.pk} ({len(self.messages)})"
