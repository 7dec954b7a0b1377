"""Built-in blueprints and the `gongdan blueprint export/import` command."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from gongdan.workorders.blueprints import (
    blueprint_export,
    blueprint_parse,
    builtin_blueprint_files,
)
from gongdan.workorders.models import FieldDefinition, Transition, WorkflowState, WorkOrderType
from gongdan.workorders.services import work_order_assign, work_order_create, work_order_transition

BUILTIN = ["after_sales", "equipment_repair", "facility_service", "preventive_maintenance"]


def export(key: str) -> str:
    out = io.StringIO()
    call_command("blueprint", "export", key, stdout=out)
    return out.getvalue()


def import_file(path: Path) -> str:
    out = io.StringIO()
    call_command("blueprint", "import", str(path), stdout=out)
    return out.getvalue()


def database_snapshot() -> dict[str, Any]:
    return {
        "types": sorted(WorkOrderType.objects.values_list("key", flat=True)),
        "fields": FieldDefinition.objects.count(),
        "states": WorkflowState.objects.count(),
        "transitions": Transition.objects.count(),
        "documents": {t.key: blueprint_export(t) for t in WorkOrderType.objects.all()},
    }


def test_the_four_builtin_types_are_installed_on_migrate(db):
    assert sorted(WorkOrderType.objects.values_list("key", flat=True)) == BUILTIN
    assert [p.stem for p in builtin_blueprint_files()] == BUILTIN
    names = dict(WorkOrderType.objects.values_list("key", "name_zh"))
    assert names["after_sales"] == "售后服务"
    assert names["preventive_maintenance"] == "计划保养"
    assert names["facility_service"] == "物业/设施服务"


@pytest.mark.parametrize("key", BUILTIN)
def test_builtin_type_exports_imports_and_exports_again_byte_for_byte(db, tmp_path, key):
    first = export(key)
    # The shipped file is already in export form, so a diff against it is meaningful.
    assert first == (builtin_blueprint_files()[BUILTIN.index(key)]).read_text(encoding="utf-8")
    path = tmp_path / f"{key}.yaml"
    path.write_text(first, encoding="utf-8")
    assert key in import_file(path)
    assert export(key) == first


CUSTOM = textwrap.dedent(
    """\
    key: mould_trial
    name:
      zh: 试模
      en: Mould trial
    description:
      zh: 新模具上机试模，记录参数和样品结果。
      en: ''
    default_priority: blue
    fields:
    - key: mould_no
      label:
        zh: 模具编号
        en: Mould no.
      type: text
      required: true
      max_length: 30
      regex: M-[0-9]{4}
      help:
        zh: 模具铭牌上的编号
        en: ''
    - key: shots
      label:
        zh: 试模模次
      type: integer
      min: 1
      max: 500
    - key: clamp_force
      label:
        zh: 锁模力（吨）
        en: Clamp force (t)
      type: decimal
      min: 0.5
      max: 3800
    - key: defects
      label:
        zh: 缺陷
        en: Defects
      type: multi_choice
      choices:
      - value: short_shot
        zh: 缺胶
        en: Short shot
      - value: flash
        zh: 飞边
      visible_states:
      - done
      required_states:
      - done
    - key: trial_date
      label:
        zh: 试模日期
        en: Date
      type: date
    - key: operator
      label:
        zh: 试模员
        en: Operator
      type: user
    - key: machine
      label:
        zh: 试模机台
        en: Machine
      type: asset
    - key: sample_photos
      label:
        zh: 样品照片
        en: Samples
      type: photo
    - key: passed
      label:
        zh: 合格
        en: Passed
      type: boolean
    states:
    - key: planned
      name:
        zh: 已计划
        en: Planned
      category: new
      initial: true
    - key: running
      name:
        zh: 试模中
        en: Running
      category: in_progress
    - key: done
      name:
        zh: 完成
        en: Done
      category: closed
    transitions:
    - key: start
      name:
        zh: 开始
        en: Start
      from:
      - planned
      to: running
      roles:
      - engineer
      assign_to_actor: true
    - key: finish
      name:
        zh: 完成
        en: Finish
      from:
      - running
      to: done
      roles:
      - assignee
      - dispatcher
      required_fields:
      - passed
      requires_comment: true
    layout:
    - title:
        zh: 试模
        en: Trial
      fields:
      - mould_no
      - shots
      - clamp_force
      - defects
    """
)


def test_type_from_a_custom_file_round_trips_exactly(db, tmp_path):
    path = tmp_path / "mould_trial.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    assert "imported mould_trial" in import_file(path)
    trial = WorkOrderType.objects.get(key="mould_trial")
    assert trial.fields.get(key="clamp_force").min_value == pytest.approx(0.5)
    assert export("mould_trial") == CUSTOM


def test_reimporting_an_edited_file_updates_the_type_in_place(db, tmp_path):
    path = tmp_path / "mould_trial.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    import_file(path)
    type_id = WorkOrderType.objects.get(key="mould_trial").pk
    path.write_text(CUSTOM.replace("zh: 试模日期", "zh: 计划试模日期"), encoding="utf-8")
    import_file(path)
    trial = WorkOrderType.objects.get(key="mould_trial")
    assert trial.pk == type_id
    assert trial.fields.get(key="trial_date").label_zh == "计划试模日期"


def _broken(change: str) -> str:
    doc = yaml.safe_load(CUSTOM)
    if change == "unknown field type":
        doc["fields"][1]["type"] = "colour"
    elif change == "transition to unknown state":
        doc["transitions"][0]["to"] = "nowhere"
    elif change == "duplicate field keys":
        doc["fields"].append(dict(doc["fields"][0]))
    elif change == "choice without choices":
        del doc["fields"][3]["choices"]
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad yaml", "key: mould_trial\nname: [unclosed\n", "yaml"),
        ("not a mapping", "- just\n- a list\n", "mapping"),
        ("unknown field type", _broken("unknown field type"), "fields.1.type"),
        ("transition to unknown state", _broken("transition to unknown state"), "'nowhere'"),
        ("duplicate field keys", _broken("duplicate field keys"), "duplicate field keys: mould_no"),
        (
            "duplicate yaml key",
            CUSTOM.replace("default_priority: blue\n", "default_priority: blue\nkey: again\n"),
            "duplicate key 'key'",
        ),
        ("choice without choices", _broken("choice without choices"), "defects"),
    ],
)
def test_malformed_file_is_refused_naming_the_problem_and_nothing_changes(
    db, tmp_path, name, text, expected
):
    before = database_snapshot()
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("blueprint", "import", str(path), stdout=io.StringIO(), stderr=err)
    assert exc.value.returncode != 0
    assert "nothing was imported" in str(exc.value)
    assert expected in err.getvalue()
    assert database_snapshot() == before


def test_every_problem_of_a_file_is_listed(db, tmp_path):
    doc = yaml.safe_load(CUSTOM)
    doc["transitions"][0]["to"] = "nowhere"
    doc["transitions"][1]["roles"] = ["janitor"]
    doc["layout"][0]["fields"].append("ghost")
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("blueprint", "import", str(path), stderr=err)
    message = err.getvalue()
    assert "'nowhere'" in message and "'janitor'" in message and "'ghost'" in message
    assert not WorkOrderType.objects.filter(key="mould_trial").exists()


def test_removing_a_state_that_orders_are_in_is_refused(plant, new_order, tmp_path):
    order = new_order()
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    doc = blueprint_export(plant.repair)
    doc["states"] = [s for s in doc["states"] if s["key"] != "assigned"]
    doc["transitions"] = [t for t in doc["transitions"] if t["key"] != "decline"]
    for t in doc["transitions"]:
        t["from"] = [s for s in t["from"] if s != "assigned"]
    path = tmp_path / "repair.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    before = database_snapshot()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("blueprint", "import", str(path), stderr=err)
    assert "states.assigned" in err.getvalue()
    assert database_snapshot() == before
    order.refresh_from_db()
    assert order.state.key == "assigned"


def test_exporting_an_unknown_type_names_the_known_ones(db):
    with pytest.raises(CommandError, match=r"no order type 'nope'.*equipment_repair"):
        export("nope")


def test_unreadable_file_is_reported(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        import_file(tmp_path / "missing.yaml")


@pytest.mark.parametrize("key", BUILTIN)
def test_builtin_type_asks_for_at_most_fifteen_required_fields(db, key):
    spec = blueprint_parse(export(key))
    required = [f.key for f in spec.fields if f.required or f.required_states]
    assert 1 <= len(required) <= 15
    assert all(section.fields for section in spec.layout)
    labelled = [f for f in spec.fields if f.label.zh and f.label.en]
    assert len(labelled) == len(spec.fields), "every field has a Chinese and an English label"


@pytest.mark.parametrize("key", BUILTIN)
def test_builtin_type_offers_the_engineer_actions_the_phone_pages_use(db, key):
    transitions = {t.key: t for t in WorkOrderType.objects.get(key=key).transitions.all()}
    assert {"accept", "decline", "depart", "arrive", "resolve", "close", "reopen", "cancel"} <= set(
        transitions
    )
    assert transitions["accept"].assign_to_actor
    assert transitions["decline"].clears_assignee
    for action in ("close", "reopen"):
        assert {"requester", "dispatcher"} <= set(transitions[action].allowed_roles)


@pytest.mark.parametrize("key", ["after_sales", "equipment_repair", "facility_service"])
def test_reportable_type_has_a_required_symptom_choice(db, key):
    symptom = WorkOrderType.objects.get(key=key).fields.get(key="symptom")
    assert symptom.field_type == "choice" and symptom.required
    assert len(symptom.choices) >= 5 and all(c.get("en") for c in symptom.choices)


# The data each type asks for when the engineer finishes.
COMPLETION = {
    "after_sales": {
        "warranty_status": "in_warranty",
        "fault_cause": "射嘴加热圈烧断",
        "fix_action": "更换加热圈",
        "charge_type": "free",
    },
    "preventive_maintenance": {
        "checklist": ["hydraulic_oil", "filters", "lubrication"],
        "result": "normal",
    },
    "facility_service": {"category": "electrical", "fix_action": "更换灯管 4 支"},
}
OPENING = {
    "after_sales": {
        "symptom": "alarm",
        "customer_name": "东莞华力塑胶",
        "contact_phone": "13800138000",
    },
    "preventive_maintenance": {"plan": "monthly", "planned_date": "2026-03-10"},
    "facility_service": {"symptom": "lighting", "area": "workshop_1"},
}


@pytest.mark.parametrize("key", sorted(COMPLETION))
def test_an_order_of_each_new_type_goes_from_report_to_close(plant, key):
    order_type = WorkOrderType.objects.get(key=key)
    order, _ = work_order_create(
        actor=plant.dispatcher,
        order_type=order_type,
        title="演示",
        data=OPENING[key],
        requester=plant.requester,
    )
    order = work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    assert order.state_category == "assigned"
    for action in ("accept", "depart", "arrive"):
        order = work_order_transition(
            order=order, actor=plant.wang, action=action, version=order.version
        )
    assert order.arrived_at is not None and order.state_category == "in_progress"
    order = work_order_transition(
        order=order, actor=plant.wang, action="resolve", version=order.version, data=COMPLETION[key]
    )
    assert order.state_category == "resolved"
    order = work_order_transition(
        order=order, actor=plant.requester, action="close", version=order.version
    )
    assert order.state_category == "closed" and order.closed_at is not None
