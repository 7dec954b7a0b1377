"""insert_rows means what save(force_insert=True) and bulk_create mean, for less."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongdan.core.inserts import insert_row, insert_rows
from gongdan.core.models import Region
from gongdan.notify.models import Channel, Notification, Status
from gongdan.routing.models import RoutingTicket
from gongdan.workorders.models import EventKind, WorkOrderEvent

pytestmark = pytest.mark.django_db


def _columns(obj: object) -> dict[str, object]:
    model = type(obj)
    return {
        f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields if not f.primary_key
    }


def test_rows_read_back_exactly_as_the_orm_writes_them(plant, new_order):
    order = new_order()
    at = timezone.make_aware(datetime.datetime(2026, 3, 1, 8, 30, 15, 123456))

    def event(kind: str) -> WorkOrderEvent:
        return WorkOrderEvent(
            order=order,
            kind=kind,
            actor=plant.wang,
            action="accept",
            data={"after": {"title": "注塑机漏油", "n": 3, "ok": True, "none": None}},
            created_at=at,
        )

    by_orm = event(EventKind.COMMENT)
    by_orm.save(force_insert=True)
    fast = [event(EventKind.COMMENT), event(EventKind.ROUTING)]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(fast)
    assert len(queries) == 1  # both rows, one statement
    assert all(e.pk and not e._state.adding for e in fast)
    assert fast[0].pk < fast[1].pk  # keys come back in the rows' order
    stored = WorkOrderEvent.objects.get(pk=fast[0].pk)
    assert _columns(stored) == _columns(WorkOrderEvent.objects.get(pk=by_orm.pk))
    assert WorkOrderEvent.objects.get(pk=fast[1].pk).kind == EventKind.ROUTING


def test_values_that_are_not_plain_text_or_numbers_are_still_adapted(plant, new_order):
    """Text and integers go into the statement as they are; anything else — a choice
    member, a lazily translated text, a number given as text — is adapted as the ORM
    adapts it."""
    from django.utils.translation import gettext_lazy

    order = new_order()
    row = Notification(
        channel=Channel.EMAIL,
        recipient=plant.li,
        order=order,
        template=gettext_lazy("工单"),
        status=Status.PENDING,
        attempts="3",
        payload={"subject": "工单"},
    )
    insert_rows([row])
    stored = Notification.objects.get(pk=row.pk)
    assert (stored.channel, stored.template, stored.status) == ("email", "工单", "pending")
    assert stored.attempts == 3 and stored.order_id == order.pk
    assert type(stored.channel) is str and type(stored.template) is str


def test_defaults_nulls_and_a_related_object_saved_later(plant, new_order):
    order = new_order()
    # Built before the order it belongs to had its key, like an SLA clock is.
    row = Notification(channel=Channel.INBOX, recipient=plant.li, template="generic")
    row.order = order
    insert_row(row)
    stored = Notification.objects.get(pk=row.pk)
    assert (stored.order_id, stored.endpoint_id, stored.read_at) == (order.pk, None, None)
    assert stored.status == Status.PENDING  # the field's default
    assert stored.payload == {}


def test_a_table_keyed_by_its_order_gets_the_orders_key(plant, new_order):
    order = new_order()
    ticket = RoutingTicket(order=order, declined_by=[plant.wang.pk])
    insert_row(ticket)
    assert ticket.pk == order.pk
    assert RoutingTicket.objects.get(pk=order.pk).declined_by == [plant.wang.pk]


def test_a_model_someone_listens_to_is_saved_through_the_orm(db):
    heard: list[str] = []

    def listener(sender: type, instance: Region, **kwargs: object) -> None:
        heard.append(instance.code)

    post_save.connect(listener, sender=Region, dispatch_uid="test.inserts")
    try:
        insert_rows([Region(code="east", name="华东")])
    finally:
        post_save.disconnect(dispatch_uid="test.inserts", sender=Region)
    # bulk_create's meaning: the row is there; like bulk_create, no signal is sent.
    assert Region.objects.filter(code="east").exists()
    assert heard == []


def test_saved_or_mixed_instances_are_refused(plant, new_order):
    order = new_order()
    saved = WorkOrderEvent.objects.create(order=order, kind=EventKind.COMMENT)
    with pytest.raises(ValueError):
        insert_rows([saved])
    with pytest.raises(ValueError):
        insert_rows([WorkOrderEvent(order=order, kind=EventKind.COMMENT), Region(code="x")])
    insert_rows([])  # nothing to do


def _unsaved_order(plant: Any, number: str, title: str) -> Any:
    """A red repair order built but not saved, as a create builds it."""
    from gongdan.workorders.models import PRIORITY_RANK, Priority, WorkOrder

    state = plant.repair.states.order_by("id").first()
    return WorkOrder(
        type=plant.repair,
        number=number,
        title=title,
        priority=Priority.RED,
        priority_rank=PRIORITY_RANK[Priority.RED],
        state=state,
        state_category=state.category,
        created_by=plant.requester,
    )


def test_deferred_rows_are_built_first_and_written_in_order_inside_the_transaction(plant):
    from django.db import transaction

    from gongdan.core.inserts import deferred_write, deferring, writes_deferred

    order = _unsaved_order(plant, "WO-2026-900001", "先建好，再写入")
    written: list[str] = []
    with CaptureQueriesContext(connection) as queries, writes_deferred() as write_rows:
        assert deferring()
        # Built while the order has no key yet.
        events = [WorkOrderEvent(order=order, kind=EventKind.CREATED, data={"n": 1})]
        insert_rows(events)
        deferred_write(lambda: written.append("after the events"))
    assert not deferring()
    assert len(queries) == 0  # nothing ran: no transaction, no lock
    assert events[0].pk is None
    with transaction.atomic():
        insert_row(order)
        write_rows()
    assert written == ["after the events"]
    assert events[0].pk and events[0].order_id == order.pk
    assert WorkOrderEvent.objects.get(pk=events[0].pk).data == {"n": 1}


def test_a_row_whose_key_was_taken_beforehand_is_written_with_it_and_nobody_waits(plant):
    """A create on PostgreSQL takes the order's key with its number: the order is written
    with that key, and the rows pointing at it are sent without waiting for it."""
    from django.db import transaction

    from gongdan.core.inserts import _deferred, writes_deferred
    from gongdan.workorders.models import WorkOrder

    key = (WorkOrder.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    order = _unsaved_order(plant, "WO-2026-900002", "键先取好")
    order.pk = key
    with writes_deferred() as write_rows:
        insert_row(order)
        events = [WorkOrderEvent(order=order, kind=EventKind.CREATED)]
        insert_rows(events)
        queued = list(_deferred.queue)
    assert not any(insert.waits() for insert in queued)
    with transaction.atomic():
        write_rows()
    assert order.pk == key and not order._state.adding
    assert WorkOrder.objects.get(pk=key).number == "WO-2026-900002"
    assert WorkOrderEvent.objects.get(pk=events[0].pk).order_id == key
    # A batch mixing rows with and without a key is refused.
    other = _unsaved_order(plant, "WO-2026-900003", "没有键")
    keyed = _unsaved_order(plant, "WO-2026-900004", "有键")
    keyed.pk = key + 1
    with pytest.raises(ValueError):
        insert_rows([keyed, other])


def test_a_deferred_row_whose_object_was_never_saved_fails_clearly(plant, new_order):
    from gongdan.core.inserts import writes_deferred
    from gongdan.workorders.models import WorkOrder

    ghost = WorkOrder(title="从未保存")
    with writes_deferred() as write_rows:
        insert_rows([WorkOrderEvent(order=ghost, kind=EventKind.CREATED)])
    with pytest.raises(ValueError, match="never saved"):
        write_rows()


@pytest.mark.parametrize("named", [False, True], ids=["found-in-the-transaction", "named-first"])
def test_a_stand_in_built_into_deferred_rows_is_filled_in_the_transaction(plant, named):
    """A new order's number taken inside its write transaction (SQLite), after the
    rows that quote it (messages, links) were built: the stand-in gives way to it in
    text and JSON columns, and in the objects the caller holds — on both engines (the
    PostgreSQL driver takes JSON as objects, SQLite's as text). Named beforehand (as a
    create names it), it is looked for while the rows are built, not under the lock."""
    from django.db import transaction

    from gongdan.core.inserts import writes_deferred

    stand_in = "5f0c6a1e9b2d4c7f8a3e1d0b6c9f2a47"
    order = _unsaved_order(plant, stand_in, "编号最后才定")
    message = Notification(
        channel="inbox",
        recipient=plant.requester,
        order=order,
        template=f"tpl-{stand_in}",
        payload={"subject": f"新工单 {stand_in}", "links": [f"/orders/{stand_in}/"], "n": 1},
    )
    untouched = WorkOrderEvent(order=order, kind=EventKind.CREATED, data={"note": "无编号"})
    with writes_deferred([stand_in] if named else []) as write_rows:
        insert_rows([message])
        insert_rows([untouched])
    if named:
        with pytest.raises(ValueError, match="not told of"):
            write_rows(fill={"another-stand-in": "WO-2026-900003"})
    with transaction.atomic():
        order.number = "WO-2026-900002"
        insert_row(order)
        write_rows(fill={stand_in: order.number})
    stored = Notification.objects.get(pk=message.pk)
    expected = {"subject": "新工单 WO-2026-900002", "links": ["/orders/WO-2026-900002/"], "n": 1}
    assert stored.payload == message.payload == expected
    assert stored.template == message.template == "tpl-WO-2026-900002"
    assert WorkOrderEvent.objects.get(pk=untouched.pk).data == untouched.data == {"note": "无编号"}


def test_a_naive_time_is_left_to_the_field_as_the_orm_leaves_it(plant, new_order):
    """Aware times are adapted without the field; a naive one still goes through it,
    which warns and reads it in the site's zone, exactly as save() does."""
    order = new_order()
    naive = datetime.datetime(2026, 3, 1, 8, 30, 15)

    def event() -> WorkOrderEvent:
        return WorkOrderEvent(order=order, kind=EventKind.COMMENT, actor=plant.wang)

    by_orm, fast = event(), event()
    by_orm.created_at = fast.created_at = naive
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        by_orm.save(force_insert=True)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        insert_row(fast)
    stored = WorkOrderEvent.objects.get(pk=fast.pk).created_at
    assert stored == WorkOrderEvent.objects.get(pk=by_orm.pk).created_at
    assert stored == timezone.make_aware(naive)


def test_deferred_rows_that_point_at_a_new_row_wait_for_its_key_and_a_failure_undoes_all(plant):
    """The rows a create writes go out together (on PostgreSQL in one round trip);
    a row pointing at one written in the same run waits for that row's key, and a
    statement that fails leaves nothing behind."""
    from django.db import IntegrityError, transaction

    from gongdan.core.inserts import writes_deferred

    order = _unsaved_order(plant, "WO-2026-900003", "一起发出")
    ticket = RoutingTicket(order=order)
    with writes_deferred() as write_rows:
        insert_row(order)  # first: the others point at it
        events = [
            WorkOrderEvent(order=order, kind=EventKind.CREATED, data={"n": n}) for n in (1, 2)
        ]
        insert_rows(events)
        insert_rows([ticket])
        insert_rows([Region(code="east-2", name="华东二区")])
    with transaction.atomic():
        write_rows()
    assert order.pk and ticket.pk and all(e.pk for e in events)
    assert list(order.events.order_by("id").values_list("data", flat=True)) == [{"n": 1}, {"n": 2}]
    assert RoutingTicket.objects.get(pk=ticket.pk).order_id == order.pk

    # The same again with a duplicate region last: nothing of the run is kept.
    again = _unsaved_order(plant, "WO-2026-900004", "失败就全不留")
    with writes_deferred() as write_rows:
        insert_row(again)
        insert_rows([WorkOrderEvent(order=again, kind=EventKind.CREATED)])
        insert_rows([Region(code="east-2", name="重复")])
    with pytest.raises(IntegrityError), transaction.atomic():
        write_rows()
    assert not type(again).objects.filter(number="WO-2026-900004").exists()
    assert WorkOrderEvent.objects.filter(data={"n": 1}).count() == 1
