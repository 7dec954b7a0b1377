"""Engineers' loads as the database keeps them: triggers on the orders table count
every write, and the counts always equal a live count of the open orders."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum

from gongdan.routing import services
from gongdan.routing.models import EngineerLoad
from gongdan.workorders.models import OPEN_CATEGORIES, StateCategory, WorkOrder
from gongdan.workorders.services import (
    work_order_assign,
    work_order_transition,
    work_order_update,
)

# What resolving a repair order asks for.
FIXED = {
    "fault_category": "electrical",
    "fault_cause": "接触器烧毁",
    "fix_action": "更换接触器",
    "fix_result": "fixed",
}


def live() -> dict[tuple[int, str], int]:
    """Each (assignee, priority)'s open orders, counted from the orders themselves."""
    rows = (
        WorkOrder.objects.filter(assignee__isnull=False, state_category__in=OPEN_CATEGORIES)
        .values_list("assignee_id", "priority")
        .annotate(n=Count("id"))
    )
    return {(user, priority): n for user, priority, n in rows}


def kept() -> dict[tuple[int, str], int]:
    """The same, as the triggers keep it: an engineer's rows of a priority summed
    (shards on PostgreSQL), counts down to 0 left out."""
    rows = EngineerLoad.objects.values_list("user_id", "priority").annotate(n=Sum("open_orders"))
    return {(user, priority): n for user, priority, n in rows if n}


@pytest.mark.django_db
def test_every_kind_of_write_keeps_the_counts_equal_to_a_live_count(plant, new_order):
    assert kept() == live() == {}
    order = new_order(priority="red")
    assert kept() == {}  # unassigned orders weigh on nobody
    order = work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    assert kept() == live() == {(plant.wang.pk, "red"): 1}
    order = work_order_update(
        order=order, actor=plant.dispatcher, version=order.version, changes={"priority": "blue"}
    )
    assert kept() == live() == {(plant.wang.pk, "blue"): 1}
    order = work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.li)
    assert kept() == live() == {(plant.li.pk, "blue"): 1}
    # Through the workflow to resolved: open until then, not after.
    for action in ("accept", "depart", "arrive"):
        order = work_order_transition(
            order=order, actor=plant.li, action=action, version=order.version
        )
        assert kept() == live() == {(plant.li.pk, "blue"): 1}
    work_order_transition(
        order=order, actor=plant.li, action="resolve", version=order.version, data=FIXED
    )
    assert kept() == live() == {}
    # Writes that bypass the services: bulk update() and delete(), raw SQL.
    others = [new_order(priority=p) for p in ("red", "red", "yellow")]
    WorkOrder.objects.filter(pk__in=[o.pk for o in others]).update(
        assignee=plant.zhang, state_category=StateCategory.ASSIGNED
    )
    assert kept() == live() == {(plant.zhang.pk, "red"): 2, (plant.zhang.pk, "yellow"): 1}
    WorkOrder.objects.filter(pk=others[0].pk).update(state_category=StateCategory.WAITING)
    WorkOrder.objects.filter(pk=others[1].pk).update(state_category=StateCategory.CLOSED)
    assert kept() == live() == {(plant.zhang.pk, "red"): 1, (plant.zhang.pk, "yellow"): 1}
    WorkOrder.objects.filter(pk=others[1].pk).update(state_category=StateCategory.IN_PROGRESS)
    assert kept() == live() == {(plant.zhang.pk, "red"): 2, (plant.zhang.pk, "yellow"): 1}
    # An update that moves nothing (same assignee, priority, still open) counts nothing.
    WorkOrder.objects.filter(pk=others[0].pk).update(title="换个标题", assignee=plant.zhang)
    assert kept() == live()
    WorkOrder.objects.filter(pk=others[2].pk).delete()
    assert kept() == live() == {(plant.zhang.pk, "red"): 2}
    table = WorkOrder._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET assignee_id = NULL WHERE id = %s", [others[0].pk])
    assert kept() == live() == {(plant.zhang.pk, "red"): 1}


@pytest.mark.django_db
def test_loads_are_weighted_by_priority_and_not_capped(plant, new_order):
    orders = [new_order(priority="red") for _ in range(3)] + [new_order(priority="blue")]
    WorkOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
        assignee=plant.wang, state_category=StateCategory.ASSIGNED
    )
    yellow = new_order(priority="yellow")
    WorkOrder.objects.filter(pk=yellow.pk).update(
        assignee=plant.li, state_category=StateCategory.ASSIGNED
    )
    closed = new_order(priority="red")
    WorkOrder.objects.filter(pk=closed.pk).update(
        assignee=plant.li, state_category=StateCategory.CLOSED
    )
    # wang: three red (×3) and one blue (×1); li: one yellow (×2), the closed order not
    # at all; zhang: nothing.
    assert services._loads([plant.wang.pk, plant.li.pk, plant.zhang.pk]) == {
        plant.wang.pk: 10,
        plant.li.pk: 2,
    }
    # A backlog of any size is counted whole: 150 more red orders weigh 450.
    template = WorkOrder.objects.get(pk=orders[0].pk)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in WorkOrder._meta.concrete_fields
        if not f.primary_key
    }
    backlog = [WorkOrder(**{**fields, "number": f"WO-BACKLOG-{i:04d}"}) for i in range(150)]
    WorkOrder.objects.bulk_create(backlog)
    assert services._loads([plant.wang.pk])[plant.wang.pk] == 10 + 450
    assert kept() == live()


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_orders_already_there(plant, new_order):
    orders = [new_order(priority=p) for p in ("red", "red", "blue")]
    WorkOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
        assignee=plant.wang, state_category=StateCategory.ASSIGNED
    )
    call_command("migrate", "routing", "0002", verbosity=0)
    try:
        # Without the triggers nothing counts this one; the migration must.
        WorkOrder.objects.filter(pk=orders[2].pk).update(assignee=plant.li)
    finally:
        call_command("migrate", "routing", verbosity=0)
    assert kept() == live() == {(plant.wang.pk, "red"): 2, (plant.li.pk, "blue"): 1}
    # And the triggers are back.
    WorkOrder.objects.filter(pk=orders[0].pk).update(state_category=StateCategory.CLOSED)
    assert kept() == live() == {(plant.wang.pk, "red"): 1, (plant.li.pk, "blue"): 1}
