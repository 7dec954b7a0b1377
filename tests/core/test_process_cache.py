"""Configuration kept per process: a change here applies at once, a change made by
another process within the cache's lifetime, and a rolled-back change never."""

from __future__ import annotations

import pytest
from django.db import transaction

from gongdan.core import cache
from gongdan.core.models import Region
from gongdan.routing.models import RoutingRule
from gongdan.routing.services import rules_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """The cache's monotonic clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: now[0])
    return now


def test_a_rule_saved_in_this_process_applies_to_the_next_order_at_once(plant, clock):
    assert rules_for(plant.repair) == []
    rule = RoutingRule.objects.create(name="全部 → 负荷最低", condition={}, action={})
    assert rules_for(plant.repair) == [rule]
    rule.is_active = False
    rule.save()
    assert rules_for(plant.repair) == []


@pytest.mark.django_db(transaction=True)
def test_a_rule_changed_by_another_process_applies_once_the_copy_expires(plant, clock):
    rule = RoutingRule.objects.create(name="全部 → 负荷最低", condition={}, action={})
    assert rules_for(plant.repair) == [rule]
    # Another process's change reaches this one only through the database.
    RoutingRule.objects.filter(pk=rule.pk).update(is_active=False)
    assert rules_for(plant.repair) == [rule]
    clock[0] += 2.5
    assert rules_for(plant.repair) == []


def test_a_change_rolled_back_leaves_nothing_behind(plant, clock):
    with pytest.raises(RuntimeError), transaction.atomic():
        RoutingRule.objects.create(name="试一下", condition={}, action={})
        assert len(rules_for(plant.repair)) == 1  # seen inside its own transaction
        raise RuntimeError
    assert rules_for(plant.repair) == []


def test_the_roster_follows_an_engineer_moved_to_another_region(plant, api, clock):
    from gongdan.routing.services import _roster

    north = Region.objects.create(code="north", name="华北")
    assert {e.username: e.region for e in _roster.get().engineers}["wang"] == "east"
    plant.wang.region = north
    plant.wang.save()
    assert {e.username: e.region for e in _roster.get().engineers}["wang"] == "north"


def test_a_machine_renamed_here_is_named_afresh_by_the_next_order(plant, clock):
    from gongdan.assets.selectors import asset_named

    assert asset_named("IMM-001").name == plant.press.name
    plant.press.name = "注塑机 1 号（大修后）"
    plant.press.save()
    assert asset_named("IMM-001").name == "注塑机 1 号（大修后）"
    assert asset_named("NO-SUCH") is None
