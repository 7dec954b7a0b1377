from __future__ import annotations

import re

import pytest

from gongdan.core.errors import Forbidden, ValidationFailed
from gongdan.workorders.models import EventKind, WorkOrder
from gongdan.workorders.services import work_order_create


def test_operator_report_gets_a_year_number_the_initial_state_and_a_created_event(plant, new_order):
    order = new_order()
    assert re.fullmatch(r"WO-\d{4}-\d{6}", order.number)
    assert order.state.key == "new" and order.state_category == "new"
    assert order.requester == plant.requester
    assert order.region == plant.east  # from the machine
    assert order.version == 1
    events = list(order.events.all())
    assert [e.kind for e in events] == [EventKind.CREATED]
    assert events[0].actor == plant.requester
    assert events[0].data["after"]["data"] == {"symptom": "no_start"}


def test_numbers_count_up_within_a_year(new_order):
    first, second = new_order(), new_order()
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_missing_required_field_names_the_field_and_saves_nothing(plant):
    with pytest.raises(ValidationFailed) as exc:
        work_order_create(
            actor=plant.requester, order_type=plant.repair, title="x", priority="red", data={}
        )
    assert "symptom" in exc.value.errors
    assert "故障现象" in exc.value.errors["symptom"]
    assert WorkOrder.objects.count() == 0


def test_every_bad_value_is_reported_at_once(plant):
    with pytest.raises(ValidationFailed) as exc:
        work_order_create(
            actor=plant.requester,
            order_type=plant.repair,
            title="",
            priority="purple",
            data={
                "symptom": "melted",
                "labour_hours": "-3",
                "machine_stopped": "maybe",
                "downtime_start": "yesterday",
                "reporter_phone": "call me",
                "nonsense": 1,
            },
        )
    errors = exc.value.errors
    assert set(errors) == {
        "title",
        "priority",
        "symptom",
        "labour_hours",
        "machine_stopped",
        "downtime_start",
        "reporter_phone",
        "nonsense",
    }


def test_values_are_stored_in_their_clean_form(plant):
    order, _ = work_order_create(
        actor=plant.requester,
        order_type=plant.repair,
        title="漏油",
        priority="red",
        data={
            "symptom": "oil_leak",
            "labour_hours": 1.50,
            "machine_stopped": True,
            "downtime_start": "2026-11-20T08:30:00+08:00",
        },
    )
    assert order.data["labour_hours"] == "1.5"
    assert order.data["downtime_start"] == "2026-11-20T00:30:00+00:00"
    assert order.priority_rank == 0


def test_english_request_gets_english_errors(plant):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        work_order_create(
            actor=plant.requester, order_type=plant.repair, title="x", priority="red", data={}
        )
    assert "Symptom" in exc.value.errors["symptom"]
    assert "required" in exc.value.errors["symptom"]


def test_clerk_enters_a_paper_order_on_behalf_of_an_engineer(plant):
    order, _ = work_order_create(
        actor=plant.clerk,
        order_type=plant.repair,
        title="纸质工单补录",
        priority="blue",
        data={"symptom": "other"},
        on_behalf_of=plant.wang,
    )
    assert order.created_by == plant.wang
    assert order.entered_by == plant.clerk
    event = order.events.get()
    assert event.actor == plant.clerk and event.on_behalf_of == plant.wang


def test_only_office_roles_may_enter_on_behalf_of_someone(plant):
    with pytest.raises(Forbidden):
        work_order_create(
            actor=plant.requester,
            order_type=plant.repair,
            title="x",
            priority="blue",
            data={"symptom": "other"},
            on_behalf_of=plant.wang,
        )


def test_warehouse_keeper_cannot_open_orders(plant):
    with pytest.raises(Forbidden):
        work_order_create(
            actor=plant.warehouse,
            order_type=plant.repair,
            title="x",
            priority="blue",
            data={"symptom": "other"},
        )


def test_same_idempotency_key_returns_the_first_order(plant):
    args = dict(
        actor=plant.requester,
        order_type=plant.repair,
        title="异响",
        priority="yellow",
        data={"symptom": "abnormal_noise"},
        idempotency_key="tap-1",
    )
    first, created = work_order_create(**args)
    again, created_again = work_order_create(**args)
    assert created and not created_again
    assert first.pk == again.pk
    assert WorkOrder.objects.count() == 1


def test_events_cannot_be_changed_or_deleted(new_order):
    from gongdan.workorders.models import ImmutableError

    event = new_order().events.get()
    event.kind = "comment"
    with pytest.raises(ImmutableError):
        event.save()
    with pytest.raises(ImmutableError):
        event.delete()


def test_a_field_added_to_the_type_applies_to_the_very_next_order(plant, new_order):
    from gongdan.workorders.models import FieldDefinition, WorkOrderType

    new_order()  # the type's definition is now cached in this process
    FieldDefinition.objects.create(
        order_type=plant.repair, key="shift", label_zh="班次", field_type="text", required=True
    )
    fresh_type = WorkOrderType.objects.get(pk=plant.repair.pk)
    with pytest.raises(ValidationFailed) as exc:
        work_order_create(
            actor=plant.requester,
            order_type=fresh_type,
            title="x",
            priority="blue",
            data={"symptom": "other"},
        )
    assert set(exc.value.errors) == {"shift"}
