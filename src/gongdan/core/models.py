"""People and organisation: users with roles, teams, regions, skills and certificates."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Base for every gongdan model: creation and modification times."""

    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    ADMIN = "admin", _("管理员")
    DISPATCHER = "dispatcher", _("调度/主管")
    ENGINEER = "engineer", _("工程师")
    CLERK = "clerk", _("文员")
    WAREHOUSE = "warehouse", _("仓库管理员")
    MANAGER = "manager", _("经理")
    REQUESTER = "requester", _("报修人")


# Roles that see every order; engineers are scoped, requesters see their own.
ROLES_SEEING_ALL = frozenset(
    {Role.ADMIN, Role.DISPATCHER, Role.MANAGER, Role.CLERK, Role.WAREHOUSE}
)


class Region(TimeStampedModel):
    """A sales/service region (华东, 华南 …); engineers and assets belong to one."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("区域")
        verbose_name_plural = _("区域")

    def __str__(self) -> str:
        return self.name


class Team(TimeStampedModel):
    """A group of people who share work (电气组, 机修组, 售后一组)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), null=True, blank=True, on_delete=models.SET_NULL
    )
    leader = models.ForeignKey(
        "core.User",
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("班组")
        verbose_name_plural = _("班组")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in: one role, optionally a team and a region."""

    display_name = models.CharField(_("显示名"), max_length=100, blank=True)
    role = models.CharField(
        _("角色"), max_length=20, choices=Role.choices, default=Role.REQUESTER, db_index=True
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("班组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("区域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    language = models.CharField(_("语言"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.name_of(self.username, self.display_name, self.first_name, self.last_name)

    @staticmethod
    def name_of(username: str, display_name: str, first_name: str, last_name: str) -> str:
        """How a person is shown, from their columns (lists read plain values)."""
        return display_name or f"{first_name} {last_name}".strip() or username

    @property
    def label(self) -> str:
        return str(self)

    def has_role(self, *roles: str) -> bool:
        return self.is_active and (
            self.role in roles or (self.is_superuser and Role.ADMIN in roles)
        )

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def sees_all_orders(self) -> bool:
        return self.is_superuser or self.role in ROLES_SEEING_ALL


class Skill(TimeStampedModel):
    """A skill or a certificate kind in the plant's library (高压电工证, 液压, PLC)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    is_certificate = models.BooleanField(_("是否证书"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("技能/证书")
        verbose_name_plural = _("技能/证书")

    def __str__(self) -> str:
        return self.name


class UserSkill(TimeStampedModel):
    """A user's skill; for certificates, the number and the expiry date."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="holders")
    level = models.PositiveSmallIntegerField(_("等级"), default=1)
    certificate_no = models.CharField(_("证书编号"), max_length=60, blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="unique_user_skill"),
        ]
        verbose_name = _("人员技能")
        verbose_name_plural = _("人员技能")

    def __str__(self) -> str:
        return f"{self.user} · {self.skill}"

    def is_valid_on(self, day: datetime.date) -> bool:
        """A certificate counts only while it has not expired."""
        return self.expires_on is None or self.expires_on >= day


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(TimeStampedModel):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100, blank=True)
    prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return "gd_" + secrets.token_urlsafe(32)


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a request that authentication has already let through."""
    user = request.user
    assert isinstance(user, User), "view reached without authentication"
    return user
