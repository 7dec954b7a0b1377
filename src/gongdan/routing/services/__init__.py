"""Automatic routing: which engineer gets an order, and why.

``route_order`` runs inside the order's transaction (on create, on a decline,
when an assignee does not accept in time, on an SLA escalation). It tries the
matching rules in order; the first that yields a candidate assigns through
``work_order_assign(actor=None)``, and the decision — rule, candidates with
their scores, why the winner won — is appended to the timeline as a ROUTING
event. No candidate: the order waits in the dispatcher queue and the
dispatchers are told.

The functions live in modules by subdomain and are all importable from here:
``decision`` (the facts, the rules, the pick, ``decide``), ``candidates`` (the
roster and who is out), ``loads`` and ``positions`` (what candidates are scored
by; ``positions`` also records where an engineer was seen), ``acting``
(``route_order``, ``route_plan`` and writing what a decision means),
``acceptance`` (declines and acceptance timeouts) and ``rules`` (rules edited by
administrators).
"""

from __future__ import annotations

from .acceptance import (
    on_accepted,
    routing_accept_timeout,
    routing_claim_timeouts,
    routing_declined,
)
from .acting import route_order, route_plan
from .candidates import Candidate, Roster, _roster, candidates_for
from .decision import Decision, decide, order_facts, rules_for
from .loads import LOAD_WEIGHT, _loads
from .positions import FRESH_POSITION, engineer_position_update
from .rules import routing_rule_delete, routing_rule_save, routing_rule_test

__all__ = [
    "FRESH_POSITION",
    "LOAD_WEIGHT",
    "Candidate",
    "Decision",
    "Roster",
    "_loads",
    "_roster",
    "candidates_for",
    "decide",
    "engineer_position_update",
    "on_accepted",
    "order_facts",
    "route_order",
    "route_plan",
    "routing_accept_timeout",
    "routing_claim_timeouts",
    "routing_declined",
    "routing_rule_delete",
    "routing_rule_save",
    "routing_rule_test",
    "rules_for",
]
