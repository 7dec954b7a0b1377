"""The routing decision, which writes nothing: the facts a rule's condition looks at,
the active rules (kept per process), the pick among the eligible candidates by the
rule's strategy, and ``decide``, which tries the rules in order.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from gongdan.core.cache import ProcessCache
from gongdan.core.models import User
from gongdan.workorders.models import WorkOrder, WorkOrderType

from .. import conditions
from ..models import RoutingRule, RuleAction, Strategy, Why
from .candidates import Candidate, candidates_for


@dataclass
class Decision:
    """The outcome of trying the rules for one order."""

    trigger: str
    rule: RoutingRule | None = None
    candidates: list[Candidate] = field(default_factory=list)
    winner: User | None = None
    why: str = ""
    tried: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The record on the timeline: every engineer considered with their load (and
        distance), and everyone else by username under the reason they were out —
        a plant's whole roster, written with every routed order, stays a few lines."""
        excluded: dict[str, list[str]] = {}
        for c in self.candidates:
            if c.excluded:
                excluded.setdefault(c.excluded, []).append(c.user.username)
        return {
            "trigger": self.trigger,
            "rule": {"id": self.rule.pk, "name": self.rule.name} if self.rule else None,
            "candidates": [c.as_json() for c in self.candidates if not c.excluded],
            "excluded": excluded,
            "winner": self.winner.username if self.winner else None,
            "why": self.why,
            "tried": self.tried,
        }


def order_facts(order: WorkOrder, now: datetime.datetime | None = None) -> dict[str, Any]:
    """What a condition can look at, flat: priority, type, data.<key>, asset.* …"""
    local = timezone.localtime(now or timezone.now())
    asset = order.asset if order.asset_id else None
    facts: dict[str, Any] = {
        "priority": order.priority,
        "type": order.type.key,
        "title": order.title,
        "customer": order.customer,
        "region": order.region.code if order.region_id and order.region else None,
        "asset": asset.code if asset else None,
        "asset.location": asset.location if asset else None,
        "asset.region": asset.region.code if asset and asset.region else None,
        "asset.customer": asset.customer if asset else None,
        "time": local.strftime("%H:%M"),
        "weekday": local.weekday(),
        "hour": local.hour,
    }
    for key, value in (order.data or {}).items():
        facts[f"data.{key}"] = value
    return facts


def _pick(
    rule: RoutingRule, action: RuleAction, eligible: list[Candidate]
) -> tuple[Candidate | None, str]:
    if not eligible:
        return None, Why.NO_CANDIDATE
    far = float("inf")
    if action.strategy == Strategy.NEAREST:
        best = min(
            eligible,
            key=lambda c: (c.distance_km if c.distance_km is not None else far, c.load, c.user.pk),
        )
        if best.distance_km is None:
            return best, Why.NEAREST_UNKNOWN_POSITIONS
        return best, Why.NEAREST
    if action.strategy == Strategy.ROUND_ROBIN:
        last = RoutingRule.objects.filter(pk=rule.pk).values_list("last_assignee_id", flat=True)
        last_id = last.first()
        after = [c for c in eligible if last_id and c.user.pk > last_id]
        return (after or eligible)[0], Why.ROUND_ROBIN
    if action.strategy == Strategy.NAMED:
        return eligible[0], Why.NAMED
    best = min(eligible, key=lambda c: (c.load, c.distance_km or far, c.user.pk))
    return best, Why.LEAST_LOADED


# Every active rule in order, shared read-only by the process's threads; the
# round-robin pointer is state, not configuration, and is read live (_pick).
_rules = ProcessCache(
    lambda: list(RoutingRule.objects.filter(is_active=True).order_by("position", "id")),
    models=(RoutingRule,),
)


def rules_for(order_type: WorkOrderType) -> list[RoutingRule]:
    return [r for r in _rules.get() if r.order_type_id in (None, order_type.pk)]


def decide(
    order: WorkOrder,
    *,
    trigger: str,
    exclude_ids: set[int],
    rules: list[RoutingRule] | None = None,
    now: datetime.datetime | None = None,
) -> Decision:
    """Try the rules in order without changing anything; the first match that has a
    candidate wins. Also what "test this rule" shows."""
    now = now or timezone.now()
    decision = Decision(trigger=trigger)
    facts = order_facts(order, now)
    for rule in rules if rules is not None else rules_for(order.type):
        if not conditions.evaluate(rule.condition, facts):
            decision.tried.append({"rule": rule.name, "matched": False})
            continue
        action = rule.parsed_action()
        candidates = candidates_for(order, action, exclude_ids=exclude_ids, now=now)
        winner, why = _pick(rule, action, [c for c in candidates if not c.excluded])
        decision.tried.append(
            {"rule": rule.name, "matched": True, "winner": winner.user.username if winner else None}
        )
        if decision.rule is None or winner is not None:
            decision.rule, decision.candidates, decision.why = rule, candidates, why
        if winner is not None:
            decision.winner = winner.user
            break
    if decision.rule is None:
        decision.why = Why.NO_RULE_MATCHED
    return decision
