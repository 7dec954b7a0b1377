"""Acting on a decision: ``route_order`` inside the order's transaction, ``route_plan``
for a new order before its INSERT; both write the routing event, the assignment
(or tell the dispatchers there is nobody), the routing ticket and anyone the rule
notifies.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.core.inserts import deferred_write, insert_row
from gongdan.core.models import Role, User
from gongdan.workorders.models import EventKind, StateCategory, WorkOrder
from gongdan.workorders.services import (
    assignment_changes,
    assignment_record,
    event_record,
    work_order_assign,
)

from ..models import RoutingRule, RoutingTicket, RuleAction, Why
from .decision import Decision, decide, rules_for


def _ticket(order: WorkOrder) -> RoutingTicket:
    ticket, _created = RoutingTicket.objects.select_for_update().get_or_create(order=order)
    return ticket


def _tell_dispatchers(order: WorkOrder) -> list[str]:
    from gongdan.notify.services import notify

    told = []
    for person in User.objects.filter(is_active=True, role=Role.DISPATCHER):
        notify(recipient=person, template="routing_no_candidate", context={}, order=order)
        told.append(person.username)
    return told


def _tell_others(order: WorkOrder, action: RuleAction) -> list[dict[str, Any]]:
    from gongdan.notify.services import notify
    from gongdan.sla.services import escalation_recipients

    told = []
    for target in action.notify:
        for person in escalation_recipients(order, [target.who]):
            notify(
                recipient=person,
                template=target.template,
                context={},
                order=order,
                channel=target.channel,
            )
            told.append({"user": person.username, "channel": target.channel})
    return told


@transaction.atomic(savepoint=False)
def route_order(
    *,
    order: WorkOrder,
    trigger: str,
    exclude: list[User] | None = None,
    now: datetime.datetime | None = None,
) -> Decision | None:
    """Find the engineer for ``order`` and assign; None when no rule is configured
    (routing is off and the order simply waits for a dispatcher). Joins the
    caller's transaction: nothing here fails half-way."""
    now = now or timezone.now()
    rules = rules_for(order.type)
    if not rules:
        return None
    order = WorkOrder.objects.select_related("type", "asset__region", "region", "team").get(
        pk=order.pk
    )
    ticket = _ticket(order)
    declined = set(ticket.declined_by) | {u.pk for u in exclude or []}
    decision = decide(order, trigger=trigger, exclude_ids=declined, rules=rules, now=now)

    def assign(
        order: WorkOrder, assignee: User | None, reason: str, details: dict[str, Any]
    ) -> WorkOrder:
        return work_order_assign(
            order=order, actor=None, assignee=assignee, reason=reason, details=details, at=now
        )

    _carry_out(order, decision, trigger=trigger, ticket=ticket, assign=assign, now=now)
    return decision


def route_plan(*, order: WorkOrder, now: datetime.datetime) -> Callable[[WorkOrder], None] | None:
    """Route a new order before it is saved: the winner goes into its INSERT (the
    decision reads only), and the returned write records the decision, the
    assignment and the ticket once the row exists. None when no rule is configured.

    Deciding outside the write transaction means two orders opened in the same
    instant can both see the same engineer as least loaded; the next order sees
    both and evens it out, and nobody waits on SQLite's write lock meanwhile."""
    rules = rules_for(order.type)
    if not rules:
        return None
    decision = decide(order, trigger="created", exclude_ids=set(), rules=rules, now=now)
    from_state = order.state
    if decision.winner is not None:
        for name, value in assignment_changes(order, decision.winner).items():
            setattr(order, name, value)

    def assign(
        order: WorkOrder, assignee: User | None, reason: str, details: dict[str, Any]
    ) -> WorkOrder:
        # The columns are in the INSERT already; what remains is the record of it.
        assignment_record(
            order=order,
            actor=None,
            previous=None,
            from_state=from_state,
            reason=reason,
            details=details,
            at=now,
        )
        return order

    def write(saved: WorkOrder) -> None:
        _carry_out(
            saved,
            decision,
            trigger="created",
            ticket=RoutingTicket(order=saved),
            assign=assign,
            now=now,
        )

    return write


def _carry_out(
    order: WorkOrder,
    decision: Decision,
    *,
    trigger: str,
    ticket: RoutingTicket,
    assign: Callable[[WorkOrder, User | None, str, dict[str, Any]], WorkOrder],
    now: datetime.datetime,
) -> None:
    """Write what a decision means: the routing event, the assignment (or the
    dispatchers told there is nobody), the ticket and anyone the rule notifies."""
    record: dict[str, Any] = decision.as_json()
    new_ticket = ticket._state.adding
    if decision.winner is not None:
        assert decision.rule is not None
        action = decision.rule.parsed_action()
        if decision.why == Why.ROUND_ROBIN:
            rule_id, winner_id = decision.rule.pk, decision.winner.pk
            deferred_write(
                lambda: RoutingRule.objects.filter(pk=rule_id).update(last_assignee_id=winner_id)
            )
        event_record(
            order=order, kind=EventKind.ROUTING, actor=None, action=trigger, data=record, at=now
        )
        order = assign(
            order,
            decision.winner,
            _("自动派单：%(rule)s") % {"rule": decision.rule.name},
            {"routing_rule": decision.rule.name, "why": decision.why},
        )
        ticket.rule = decision.rule
        ticket.assignee_id = decision.winner.pk
        ticket.attempts += 1
        minutes = action.accept_within_minutes
        in_queue = order.state_category == StateCategory.ASSIGNED
        ticket.accept_due_at = (
            now + datetime.timedelta(minutes=minutes) if minutes and in_queue else None
        )
        _save_ticket(ticket, new=new_ticket)
        _tell_others(order, action)
        return
    if order.assignee_id is not None and trigger == "not_accepted":
        # Nobody else can take it: back to the queue rather than left with
        # someone who is not answering. (An SLA escalation keeps the assignee.)
        assign(order, None, _("无人接单，退回待派"), {"why": decision.why})
    record["notified"] = _tell_dispatchers(order)
    event_record(
        order=order, kind=EventKind.ROUTING, actor=None, action=trigger, data=record, at=now
    )
    ticket.assignee_id = None
    ticket.accept_due_at = None
    _save_ticket(ticket, new=new_ticket)


def _save_ticket(ticket: RoutingTicket, *, new: bool) -> None:
    if new:
        insert_row(ticket)
    else:
        ticket.save()
