"""The order page, its actions, and the create/edit forms generated from the type."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gongdan.workorders.models import WorkOrder
from gongdan.workorders.services import comment_create, work_order_assign, work_order_transition
from tests.office.test_board import client_for


def test_timeline_tells_what_happened_in_words(plant, new_order):
    order = new_order()
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    order.refresh_from_db()
    work_order_transition(order=order, actor=plant.wang, action="accept", version=order.version)
    comment_create(order=order, actor=plant.wang, body="马上到")

    html = client_for(plant.dispatcher).get(f"/orders/{order.number}/").content.decode()

    clock = timezone.localtime().strftime("%H:%M")
    assert f"周操作工 于 {clock} 创建工单" in html
    assert f"刘调度 于 {clock} 派单给 王工" in html
    assert f"王工 于 {clock} 接单" in html
    assert "马上到" in html


def test_order_page_shows_the_types_fields_by_section_with_choice_labels(plant, new_order):
    order = new_order(data={"symptom": "oil_leak", "machine_stopped": True, "alarm_code": "E-203"})
    html = client_for(plant.dispatcher).get(f"/orders/{order.number}/").content.decode()
    assert "故障信息" in html
    assert "漏油" in html
    assert "E-203" in html
    # arrival_location is only visible on site; the order is still new.
    assert "到场位置" not in html


def test_only_the_transitions_the_user_may_fire_are_offered(plant, new_order):
    order = new_order()
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    requester_html = client_for(plant.requester).get(f"/orders/{order.number}/").content.decode()
    wang_html = client_for(plant.wang).get(f"/orders/{order.number}/").content.decode()
    assert 'data-action="cancel"' in requester_html
    assert 'data-action="accept"' not in requester_html
    assert 'data-action="accept"' in wang_html
    assert 'data-action="decline"' in wang_html


def test_transition_form_asks_for_exactly_its_fields_and_shows_errors_by_field(plant, new_order):
    order = new_order()
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    order.refresh_from_db()
    for action in ("accept", "arrive"):
        order = work_order_transition(
            order=order, actor=plant.wang, action=action, version=order.version
        )
    client = client_for(plant.wang)
    html = client.get(f"/orders/{order.number}/").content.decode()
    resolve_form = html.split('data-action="resolve"', 1)[1].split("</details>", 1)[0]
    for key in ("fault_category", "fault_cause", "fix_action", "fix_result"):
        assert f'name="data.{key}"' in resolve_form
    assert 'name="data.alarm_code"' not in resolve_form

    response = client.post(
        f"/orders/{order.number}/do/resolve/",
        {"version": order.version, "data.fault_category": "electrical", "data.fix_result": "fixed"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "故障原因：此项为必填。" in page
    assert '<details class="action" open' in page
    order.refresh_from_db()
    assert order.state.key == "on_site"

    response = client.post(
        f"/orders/{order.number}/do/resolve/",
        {
            "version": order.version,
            "data.fault_category": "electrical",
            "data.fault_cause": "接触器烧蚀",
            "data.fix_action": "更换接触器",
            "data.fix_result": "fixed",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state.key == "resolved"
    assert order.data["fault_cause"] == "接触器烧蚀"


def test_create_form_is_validated_by_the_service_and_errors_sit_next_to_fields(plant):
    client = client_for(plant.dispatcher)
    form = client.get("/orders/new/equipment_repair/").content.decode()
    assert 'name="data.symptom"' in form
    assert 'name="data.fault_cause"' in form  # resolved-only required, optional now

    response = client.post(
        "/orders/new/equipment_repair/",
        {"title": "", "priority": "red", "data.reporter_phone": "abc", "token": "t1"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "标题：此项为必填。" in html
    assert "故障现象：此项为必填。" in html
    assert "报修人电话：格式不正确。" in html
    assert WorkOrder.objects.count() == 0


def test_create_form_makes_one_order_even_when_submitted_twice(plant):
    client = client_for(plant.dispatcher)
    form = {
        "title": "冷却水泵异响",
        "priority": "yellow",
        "asset": "IMM-001",
        "data.symptom": "abnormal_noise",
        "data.machine_stopped": "false",
        "token": "same-token",
    }
    first = client.post("/orders/new/equipment_repair/", form)
    second = client.post("/orders/new/equipment_repair/", form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    order = WorkOrder.objects.get()
    assert order.asset == plant.press
    assert order.data == {"symptom": "abnormal_noise", "machine_stopped": False}


def test_clerk_enters_a_paper_order_for_an_engineer_and_both_are_shown(plant):
    client = client_for(plant.clerk)
    response = client.post(
        "/orders/new/equipment_repair/",
        {
            "title": "纸质工单：模温机漏水",
            "priority": "yellow",
            "data.symptom": "oil_leak",
            "on_behalf_of": "wang",
            "token": "paper-1",
        },
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.created_by == plant.wang
    assert order.entered_by == plant.clerk
    html = client.get(response["Location"]).content.decode()
    assert "由 赵文员 代为录入" in html
    assert "赵文员（代 王工）" in html


def test_edit_form_saves_through_the_service_and_reports_a_stale_version(plant, new_order):
    order = new_order()
    client = client_for(plant.dispatcher)
    form = {
        "title": "注塑机不启动（已核实）",
        "priority": "red",
        "asset": "IMM-001",
        "data.symptom": "no_start",
        "version": order.version,
    }
    assert client.post(f"/orders/{order.number}/edit/", form).status_code == 302
    order.refresh_from_db()
    assert order.priority == "red"
    stale = client.post(f"/orders/{order.number}/edit/", {**form, "title": "旧页面"})
    assert stale.status_code == 409
    assert "工单已被他人修改" in stale.content.decode()


def test_photo_upload_shows_a_thumbnail_linking_to_the_full_size(plant, new_order, tiny_png):
    order = new_order()
    client = client_for(plant.requester)
    upload = SimpleUploadedFile("fault.png", tiny_png, content_type="image/png")
    assert client.post(f"/orders/{order.number}/photos/", {"file": upload}).status_code == 302
    attachment = order.attachments.get()
    html = client.get(f"/orders/{order.number}/").content.decode()
    assert f'src="/attachments/{attachment.pk}/thumb/"' in html
    assert f'href="/attachments/{attachment.pk}/"' in html
    assert client.get(f"/attachments/{attachment.pk}/thumb/").status_code == 200


def test_printable_view_has_the_record_and_no_actions(plant, new_order):
    order = new_order()
    html = client_for(plant.dispatcher).get(f"/orders/{order.number}/print/").content.decode()
    assert order.number in html
    assert "创建工单" in html
    assert 'data-action="' not in html


def test_order_page_in_english(plant, new_order):
    order = new_order(data={"symptom": "oil_leak"})
    client = client_for(plant.dispatcher)
    client.post("/language/", {"language": "en", "next": "/"})
    plant.dispatcher.refresh_from_db()
    assert plant.dispatcher.language == "en"
    html = client.get(f"/orders/{order.number}/").content.decode()
    assert "Oil leak" in html
    assert "Timeline" in html
