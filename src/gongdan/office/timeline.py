"""The order's events told as sentences a person reads: “王工 于 14:02 接单”.

Every kind in workorders.models.EventKind has a sentence; kinds and actions
that other apps add later (spare parts, routing details …) fall back to a
generic sentence plus their recorded details, so nothing on the record is hidden.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gongdan.core.models import User
from gongdan.routing.models import excluded_label, why_label
from gongdan.workorders.models import EventKind, WorkOrder, WorkOrderEvent


@dataclass
class Sentence:
    """One line of the timeline: who did what, when, and what they wrote."""

    kind: str
    when: datetime.datetime
    text: str
    note: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)


def _clock(moment: datetime.datetime, today: datetime.date) -> str:
    local = timezone.localtime(moment)
    if local.date() == today:
        return date_format(local, "H:i")
    return date_format(local, "Y-m-d H:i")


def _plain(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _number(value: Any) -> str:
    """27.0 → "27", 2.345 → "2.35"."""
    if isinstance(value, int | float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return _plain(value)


class TimelineRenderer:
    """Turns an order's events into sentences, with names looked up once per order."""

    def __init__(self, order: WorkOrder, events: Iterable[WorkOrderEvent]) -> None:
        self.order = order
        self.events = list(events)
        self.today = timezone.localdate()
        order_type = order.type
        self.states = {s.key: s.name for s in order_type.states.all()}
        self.actions = {t.key: t.name for t in order_type.transitions.all()}
        self.fields = {f.key: f for f in order_type.fields.all()}
        usernames = set()
        for event in self.events:
            for side in ("before", "after"):
                part = event.data.get(side)
                if isinstance(part, dict) and isinstance(part.get("assignee"), str):
                    usernames.add(part["assignee"])
            if event.kind == EventKind.ROUTING:
                usernames.update(str(u) for u in event.data.get("notified") or [])
        self.people = {u.username: str(u) for u in User.objects.filter(username__in=usernames)}

    def sentences(self) -> list[Sentence]:
        return [self.render(event) for event in self.events]

    # --- parts of a sentence ---------------------------------------------------

    def who(self, event: WorkOrderEvent) -> str:
        if event.actor is None:
            return _("系统")
        if event.on_behalf_of is not None and event.on_behalf_of != event.actor:
            return _("%(actor)s（代 %(subject)s）") % {
                "actor": event.actor,
                "subject": event.on_behalf_of,
            }
        return str(event.actor)

    def person(self, username: Any) -> str:
        if not username:
            return _("待派单池")
        return self.people.get(str(username), str(username))

    def field_label(self, key: str) -> str:
        bare = key.removeprefix("data.")
        core = {
            "title": _("标题"),
            "description": _("描述"),
            "priority": _("优先级"),
            "asset": _("设备"),
            "customer": _("客户"),
        }
        if bare in core and not key.startswith("data."):
            return core[bare]
        definition = self.fields.get(bare)
        return definition.label if definition else bare

    def changes(self, data: dict[str, Any]) -> list[tuple[str, str]]:
        before = data.get("before") or {}
        after = data.get("after") or {}
        if not isinstance(before, dict) or not isinstance(after, dict):
            return []
        rows = []
        for key in sorted(before.keys() | after.keys()):
            definition = self.fields.get(key.removeprefix("data."))
            old, new = before.get(key), after.get(key)
            if definition is not None and definition.field_type == "choice":
                old = definition.choice_label(old) if old else old
                new = definition.choice_label(new) if new else new
            rows.append((self.field_label(key), f"{_plain(old)} → {_plain(new)}"))
        return rows

    # --- one sentence per kind -------------------------------------------------

    def render(self, event: WorkOrderEvent) -> Sentence:
        base = {"who": self.who(event), "time": _clock(event.created_at, self.today)}
        data = event.data if isinstance(event.data, dict) else {}
        comment = str(data.get("comment") or "")
        kind = event.kind
        if kind == EventKind.CREATED:
            text = _("%(who)s 于 %(time)s 创建工单") % base
            return Sentence(kind, event.created_at, text)
        if kind == EventKind.TRANSITION:
            action = self.actions.get(event.action) or event.action or _("变更状态")
            text = _("%(who)s 于 %(time)s %(action)s") % {**base, "action": action}
            details = []
            if event.from_state or event.to_state:
                details.append(
                    (
                        _("状态"),
                        f"{self.states.get(event.from_state, event.from_state) or '—'}"
                        f" → {self.states.get(event.to_state, event.to_state) or '—'}",
                    )
                )
            details += self.changes(data)
            return Sentence(kind, event.created_at, text, comment, details)
        if kind == EventKind.ASSIGNED:
            before = (data.get("before") or {}).get("assignee")
            after = (data.get("after") or {}).get("assignee")
            params = {**base, "old": self.person(before), "new": self.person(after)}
            if after and before:
                text = _("%(who)s 于 %(time)s 将工单从 %(old)s 改派给 %(new)s") % params
            elif after:
                text = _("%(who)s 于 %(time)s 派单给 %(new)s") % params
            else:
                text = _("%(who)s 于 %(time)s 将工单退回待派单池") % params
            return Sentence(kind, event.created_at, text, comment)
        if kind == EventKind.UPDATED and event.action in ("", "update"):
            text = _("%(who)s 于 %(time)s 修改了工单") % base
            return Sentence(kind, event.created_at, text, comment, self.changes(data))
        if kind == EventKind.UPDATED and event.action == "field_renamed":
            renames = data.get("renames") or {}
            text = _("%(who)s 于 %(time)s 更改了字段标识：%(renames)s") % {
                **base,
                "renames": "、".join(f"{old} → {new}" for old, new in renames.items()),
            }
            return Sentence(kind, event.created_at, text)
        if kind == EventKind.COMMENT:
            text = _("%(who)s 于 %(time)s 发表评论") % base
            return Sentence(kind, event.created_at, text, comment)
        if kind == EventKind.ATTACHMENT:
            params = {**base, "name": data.get("name", "")}
            if str(data.get("content_type", "")).startswith("image/"):
                text = _("%(who)s 于 %(time)s 上传了照片 %(name)s") % params
            else:
                text = _("%(who)s 于 %(time)s 上传了文件 %(name)s") % params
            return Sentence(kind, event.created_at, text)
        if kind == EventKind.RATING:
            text = _("%(who)s 于 %(time)s 评价：%(stars)s 星") % {
                **base,
                "stars": data.get("stars", "—"),
            }
            details = []
            if data.get("recommend") is not None:
                details.append((_("推荐意愿"), f"{data['recommend']}/10"))
            return Sentence(kind, event.created_at, text, comment, details)
        if kind == EventKind.ROUTING:
            rule = data.get("rule")
            if isinstance(rule, dict):
                rule = rule.get("name")
            reason = data.get("reason") or data.get("summary") or rule or ""
            text = _("%(who)s 于 %(time)s 自动派单") % base
            if reason:
                text += _("：%(reason)s") % {"reason": _plain(reason)}
            return Sentence(kind, event.created_at, text, "", self.routing_details(data))
        return self.generic(event, base, data, comment)

    def generic(
        self, event: WorkOrderEvent, base: dict[str, str], data: dict[str, Any], comment: str
    ) -> Sentence:
        try:
            label = str(EventKind(event.kind).label)
        except ValueError:
            label = event.kind
        what = label
        if event.action and event.action not in ("update",):
            what = f"{label} · {self.actions.get(event.action, event.action)}"
        message = data.get("message") or data.get("summary") or ""
        text = _("%(who)s 于 %(time)s 记录了%(what)s") % {**base, "what": what}
        if message:
            text += _("：%(message)s") % {"message": _plain(message)}
        details = self.changes(data) or self.generic_details(data)
        return Sentence(event.kind, event.created_at, text, comment, details)

    def routing_details(self, data: dict[str, Any]) -> list[tuple[str, str]]:
        """Who got it and why, everyone compared with their load, and how many were
        out for each reason. (Records written before the reasons were grouped list
        everyone under "candidates", each with their own reason.)"""
        candidates = [c for c in data.get("candidates") or [] if isinstance(c, dict)]
        compared = [c for c in candidates if not c.get("excluded")]
        out_by_reason: dict[str, list[str]] = {}
        for c in candidates:
            if c.get("excluded"):
                out_by_reason.setdefault(str(c["excluded"]), []).append(str(c.get("user")))
        for why, usernames in (data.get("excluded") or {}).items():
            out_by_reason.setdefault(str(why), []).extend(usernames)
        names = {str(c.get("user")): str(c.get("name") or c.get("user")) for c in candidates}
        details: list[tuple[str, str]] = []
        winner = data.get("winner")
        if winner:
            details.append((_("派给"), names.get(str(winner), str(winner))))
        elif data.get("notified"):
            told = [self.person(u) for u in data["notified"]]
            details.append((_("已通知调度"), _("、").join(told)))
        if data.get("why"):
            details.append((_("原因"), why_label(str(data["why"]))))
        if compared:
            parts = []
            for c in compared:
                load = _("负荷 %(load)s") % {"load": _number(c.get("load"))}
                if c.get("distance_km") is not None:
                    load += _("，%(km)s 公里") % {"km": _number(c["distance_km"])}
                parts.append(
                    _("%(name)s（%(load)s）") % {"name": names[str(c.get("user"))], "load": load}
                )
            details.append((_("参与比较"), _("、").join(parts)))
        for why, usernames in out_by_reason.items():
            details.append((excluded_label(why), _("%(count)s 人") % {"count": len(usernames)}))
        return details

    def generic_details(self, data: dict[str, Any]) -> list[tuple[str, str]]:
        skip = {"comment", "message", "summary", "reason", "before", "after"}
        return [(str(k), _plain(v)) for k, v in data.items() if k not in skip][:12]


def timeline(order: WorkOrder, events: Iterable[WorkOrderEvent]) -> list[Sentence]:
    """The order's events as sentences, oldest first."""
    return TimelineRenderer(order, events).sentences()
