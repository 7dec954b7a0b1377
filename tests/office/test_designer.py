"""The type designer: build a type on screen, rename a field with its values, refuse
orphaning orders, export and import YAML."""

from __future__ import annotations

from typing import Any

import pytest

from gongdan.core.errors import Forbidden, ValidationFailed
from gongdan.office.designer import Draft
from gongdan.office.services import order_type_save
from gongdan.workorders.blueprints import blueprint_dump
from gongdan.workorders.models import WorkOrderEvent, WorkOrderType
from gongdan.workorders.services import work_order_create
from tests.office.test_board import client_for


def mould_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "is_new": "1",
        "key": "mould_change",
        "name_zh": "换模",
        "name_en": "Mould change",
        "default_priority": "blue",
        "sections-0-title_zh": "换模信息",
        "sections-0-title_en": "Mould",
        "fields-0-key": "mould_no",
        "fields-0-label_zh": "模具编号",
        "fields-0-label_en": "Mould number",
        "fields-0-type": "text",
        "fields-0-required": "1",
        "fields-0-section": "0",
        "fields-1-key": "reason",
        "fields-1-label_zh": "换模原因",
        "fields-1-label_en": "Reason",
        "fields-1-type": "choice",
        "fields-1-choices": "new_product | 新产品 | New product\nworn | 模具磨损 | Worn",
        "fields-1-section": "0",
        "states-0-key": "new",
        "states-0-name_zh": "待换模",
        "states-0-category": "new",
        "states-1-key": "done",
        "states-1-name_zh": "已完成",
        "states-1-category": "resolved",
        "initial": "new",
        "transitions-0-key": "finish",
        "transitions-0-name_zh": "完成换模",
        "transitions-0-name_en": "Finish",
        "transitions-0-from": ["new"],
        "transitions-0-to": "done",
        "transitions-0-roles": ["dispatcher", "assignee"],
        "op": "save",
    }
    form.update(overrides)
    return form


def test_admin_builds_a_type_on_screen_and_orders_use_it(plant):
    client = client_for(plant.admin)
    response = client.post("/designer/new/", mould_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    order_type = WorkOrderType.objects.get(key="mould_change")
    assert [f.key for f in order_type.fields.all()] == ["mould_no", "reason"]
    assert order_type.layout == [
        {"title": {"zh": "换模信息", "en": "Mould"}, "fields": ["mould_no", "reason"]}
    ]
    finish = order_type.transitions.get()
    assert finish.allowed_roles == ["dispatcher", "assignee"]
    form = client.get("/orders/new/mould_change/").content.decode()
    assert 'name="data.mould_no"' in form
    assert "模具磨损" in form


def test_add_reorder_and_remove_rows_redraw_the_form(plant):
    client = client_for(plant.admin)
    html = client.post("/designer/new/", mould_form(op="add:fields")).content.decode()
    assert 'name="fields-2-key"' in html
    html = client.post("/designer/new/", mould_form(op="down:fields:0")).content.decode()
    assert html.index('value="reason"') < html.index('value="mould_no"')
    html = client.post("/designer/new/", mould_form(op="remove:fields:0")).content.decode()
    assert 'value="mould_no"' not in html
    assert not WorkOrderType.objects.filter(key="mould_change").exists()


def test_live_preview_draws_the_form_being_designed(plant):
    html = client_for(plant.admin).post("/designer/preview/", mould_form()).content.decode()
    assert "模具编号" in html
    assert "<select" in html and "新产品" in html


def test_designer_mistakes_are_named_next_to_the_row(plant):
    response = client_for(plant.admin).post(
        "/designer/new/", mould_form(**{"fields-1-choices": "", "fields-0-key": "Bad Key"})
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "单选、多选字段至少需要一个选项。" in html
    assert "标识须以小写字母开头" in html


def test_renaming_a_field_key_carries_the_stored_values(plant):
    client = client_for(plant.admin)
    client.post("/designer/new/", mould_form())
    order_type = WorkOrderType.objects.get(key="mould_change")
    order, _ = work_order_create(
        actor=plant.dispatcher,
        order_type=order_type,
        title="换 2301 模具",
        data={"mould_no": "M-2301", "reason": "worn"},
    )
    form = mould_form(
        is_new="0",
        **{
            "fields-0-key": "mould_code",
            "fields-0-original_key": "mould_no",
            "fields-1-original_key": "reason",
        },
    )
    response = client.post("/designer/mould_change/", form)
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.data == {"mould_code": "M-2301", "reason": "worn"}
    event = WorkOrderEvent.objects.get(order=order, action="field_renamed")
    assert event.data == {"renames": {"mould_no": "mould_code"}}
    html = client.get(f"/orders/{order.number}/").content.decode()
    assert "M-2301" in html
    assert "mould_no → mould_code" in html


def test_removing_a_state_that_holds_orders_is_refused_with_an_explanation(plant):
    client = client_for(plant.admin)
    client.post("/designer/new/", mould_form())
    order_type = WorkOrderType.objects.get(key="mould_change")
    work_order_create(
        actor=plant.dispatcher, order_type=order_type, title="换模", data={"mould_no": "M-1"}
    )
    form = mould_form(is_new="0")
    form.update(
        {
            "states-0-key": "waiting",
            "states-0-original_key": "new",
            "states-0-name_zh": "排队中",
            "initial": "new",
        }
    )
    response = client.post("/designer/mould_change/", form)
    assert response.status_code == 422
    html = response.content.decode()
    assert "有工单仍处于要删除的状态，不能删除" in html
    assert "“待换模”中还有 1 张工单。" in html
    assert order_type.states.filter(key="new").exists()


def test_export_then_import_yaml(plant):
    client = client_for(plant.admin)
    exported = client.get("/designer/equipment_repair/export/")
    assert exported["Content-Type"].startswith("application/yaml")
    text = exported.content.decode()
    assert text == blueprint_dump(plant.repair)
    changed = text.replace("name:\n  zh: 设备维修", "name:\n  zh: 设备维修（新）", 1)
    response = client.post("/designer/import/", {"yaml": changed})
    assert response.status_code == 302
    assert WorkOrderType.objects.get(key="equipment_repair").name_zh == "设备维修（新）"

    broken = client.post("/designer/import/", {"yaml": "key: x\nstates: []\n"})
    assert broken.status_code == 422
    assert "类型定义有错误，未做任何修改。" in broken.content.decode()


def test_saved_type_round_trips_through_the_designer_unchanged(plant):
    before = blueprint_dump(plant.repair)
    draft = Draft.from_type(plant.repair)
    order_type_save(actor=plant.admin, document=draft.document())
    assert blueprint_dump(WorkOrderType.objects.get(key="equipment_repair")) == before


def test_only_administrators_may_save_a_type(plant):
    with pytest.raises(Forbidden):
        order_type_save(actor=plant.dispatcher, document=Draft.from_type(plant.repair).document())
    with pytest.raises(ValidationFailed):
        order_type_save(actor=plant.admin, document={"key": "x"})
