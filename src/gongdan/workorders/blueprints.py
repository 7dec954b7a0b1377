"""Order types as YAML: export, validated import, and the built-in blueprints.

The YAML shape is read through pydantic models, so a malformed file is reported
field by field and nothing is written. Export then import gives back the same
document, byte for byte.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gongdan.core.errors import ValidationFailed

from .models import (
    FieldDefinition,
    FieldType,
    Priority,
    StateCategory,
    Transition,
    WorkflowState,
    WorkOrderType,
)

BLUEPRINT_DIR = Path(__file__).resolve().parent.parent / "blueprints"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping: plain YAML keeps the
    last value silently, so a field pasted in twice would import as if the first had
    never been written."""


def _no_duplicate_keys(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _no_duplicate_keys,  # type: ignore[arg-type]
)
KEY = r"^[a-z][a-z0-9_]{0,49}$"
SPECIAL_ROLES = {"assignee", "requester"}


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1, max_length=300)
    en: str = Field(default="", max_length=300)


class OptionalText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str = Field(default="", max_length=300)
    en: str = Field(default="", max_length=300)


class ChoiceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=50)
    zh: str = Field(min_length=1, max_length=100)
    en: str = Field(default="", max_length=100)


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY)
    label: Text
    type: Literal[tuple(FieldType.values)]  # type: ignore[valid-type]
    required: bool = False
    choices: list[ChoiceSpec] = []
    min: Decimal | None = None
    max: Decimal | None = None
    max_length: int | None = Field(default=None, ge=1, le=10000)
    regex: str = ""
    help: OptionalText = OptionalText()
    visible_states: list[str] = []
    required_states: list[str] = []

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str) -> str:
        if value:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _choices_for_choice_fields(self) -> FieldSpec:
        if self.type in ("choice", "multi_choice") and not self.choices:
            raise ValueError(f"field {self.key}: a {self.type} field needs choices")
        values = [c.value for c in self.choices]
        if len(values) != len(set(values)):
            raise ValueError(f"field {self.key}: duplicate choice values")
        return self


class StateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY)
    name: Text
    category: Literal[tuple(StateCategory.values)]  # type: ignore[valid-type]
    initial: bool = False


class TransitionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    key: str = Field(pattern=KEY)
    name: Text
    from_: list[str] = Field(alias="from", min_length=1)
    to: str
    roles: list[str] = []
    required_fields: list[str] = []
    requires_comment: bool = False
    assign_to_actor: bool = False
    clears_assignee: bool = False


class SectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text
    fields: list[str]


class BlueprintSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY)
    name: Text
    description: OptionalText = OptionalText()
    default_priority: Literal[tuple(Priority.values)] = "yellow"  # type: ignore[valid-type]
    fields: list[FieldSpec] = []
    states: list[StateSpec] = Field(min_length=1)
    transitions: list[TransitionSpec] = []
    layout: list[SectionSpec] = []

    @model_validator(mode="after")
    def _references(self) -> BlueprintSpec:
        from gongdan.core.models import Role

        field_keys = [f.key for f in self.fields]
        state_keys = [s.key for s in self.states]
        problems: list[str] = []
        for kind, keys in (
            ("field", field_keys),
            ("state", state_keys),
            ("transition", [t.key for t in self.transitions]),
        ):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                problems.append(f"duplicate {kind} keys: {', '.join(dupes)}")
        if sum(s.initial for s in self.states) > 1:
            problems.append("more than one initial state")
        for f in self.fields:
            for s in [*f.visible_states, *f.required_states]:
                if s not in state_keys:
                    problems.append(f"field {f.key}: unknown state {s!r}")
        roles = set(Role.values) | SPECIAL_ROLES
        for t in self.transitions:
            for s in [*t.from_, t.to]:
                if s not in state_keys:
                    problems.append(f"transition {t.key}: unknown state {s!r}")
            for r in t.roles:
                if r not in roles:
                    problems.append(f"transition {t.key}: unknown role {r!r}")
            for k in t.required_fields:
                if k not in field_keys:
                    problems.append(f"transition {t.key}: unknown field {k!r}")
        for section in self.layout:
            for k in section.fields:
                if k not in field_keys:
                    problems.append(f"layout: unknown field {k!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _text(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en} if en else {"zh": zh}


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def blueprint_export(order_type: WorkOrderType) -> dict[str, Any]:
    """The type as a plain document (the YAML shape), omitting defaults."""
    doc: dict[str, Any] = {
        "key": order_type.key,
        "name": _text(order_type.name_zh, order_type.name_en),
    }
    if order_type.description_zh or order_type.description_en:
        doc["description"] = {"zh": order_type.description_zh, "en": order_type.description_en}
    doc["default_priority"] = order_type.default_priority
    fields = []
    for f in order_type.fields.all():
        item: dict[str, Any] = {
            "key": f.key,
            "label": _text(f.label_zh, f.label_en),
            "type": f.field_type,
        }
        if f.required:
            item["required"] = True
        if f.choices:
            item["choices"] = [
                {k: c[k] for k in ("value", "zh", "en") if c.get(k)} for c in f.choices
            ]
        if f.min_value is not None:
            item["min"] = _number(f.min_value)
        if f.max_value is not None:
            item["max"] = _number(f.max_value)
        if f.max_length:
            item["max_length"] = f.max_length
        if f.regex:
            item["regex"] = f.regex
        if f.help_zh or f.help_en:
            item["help"] = {"zh": f.help_zh, "en": f.help_en}
        if f.visible_states:
            item["visible_states"] = list(f.visible_states)
        if f.required_states:
            item["required_states"] = list(f.required_states)
        fields.append(item)
    doc["fields"] = fields
    doc["states"] = [
        {"key": s.key, "name": _text(s.name_zh, s.name_en), "category": s.category}
        | ({"initial": True} if s.is_initial else {})
        for s in order_type.states.all()
    ]
    transitions = []
    for t in order_type.transitions.prefetch_related("from_states").select_related("to_state"):
        item = {
            "key": t.key,
            "name": _text(t.name_zh, t.name_en),
            "from": [s.key for s in sorted(t.from_states.all(), key=lambda s: (s.position, s.pk))],
            "to": t.to_state.key,
            "roles": list(t.allowed_roles),
        }
        if t.required_fields:
            item["required_fields"] = list(t.required_fields)
        if t.requires_comment:
            item["requires_comment"] = True
        if t.assign_to_actor:
            item["assign_to_actor"] = True
        if t.clears_assignee:
            item["clears_assignee"] = True
        transitions.append(item)
    doc["transitions"] = transitions
    if order_type.layout:
        # Rebuilt rather than dumped as stored: PostgreSQL's jsonb returns object keys
        # sorted ("en" before "zh"), and the export must be the same on both databases.
        doc["layout"] = [
            {
                "title": _text(section["title"].get("zh", ""), section["title"].get("en", "")),
                "fields": list(section["fields"]),
            }
            for section in order_type.layout
        ]
    return doc


def blueprint_dump(order_type: WorkOrderType) -> str:
    return yaml.safe_dump(
        blueprint_export(order_type), allow_unicode=True, sort_keys=False, width=100
    )


def _format_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "blueprint"
        errors[where] = err["msg"].removeprefix("Value error, ")
    return errors


def blueprint_parse(source: str | dict[str, Any]) -> BlueprintSpec:
    """Read and check a blueprint; raise ValidationFailed listing every problem."""
    if isinstance(source, str):
        try:
            source = yaml.load(source, Loader=_StrictLoader)
        except yaml.YAMLError as exc:
            raise ValidationFailed(_("不是有效的 YAML。"), {"yaml": str(exc)})
    if not isinstance(source, dict):
        message = _("蓝图应为映射（mapping: key: value），而不是列表或文本。")
        raise ValidationFailed(message, {"blueprint": message})
    try:
        return BlueprintSpec.model_validate(source)
    except ValidationError as exc:
        raise ValidationFailed(_("蓝图有错误，未做任何修改。"), _format_errors(exc))


@transaction.atomic
def blueprint_import(source: str | dict[str, Any], *, builtin: bool = False) -> WorkOrderType:
    """Create or replace the type described by ``source``.

    Refuses to remove a state that orders are still in; fields and transitions
    are replaced wholesale (values of removed fields stay in the orders' data).
    """
    spec = blueprint_parse(source)
    order_type, _created = WorkOrderType.objects.get_or_create(
        key=spec.key, defaults={"name_zh": spec.name.zh}
    )
    order_type.name_zh, order_type.name_en = spec.name.zh, spec.name.en
    order_type.description_zh, order_type.description_en = spec.description.zh, spec.description.en
    order_type.default_priority = spec.default_priority
    order_type.layout = [
        {"title": _text(s.title.zh, s.title.en), "fields": s.fields} for s in spec.layout
    ]
    order_type.is_builtin = order_type.is_builtin or builtin
    order_type.save()

    keep_states = {s.key for s in spec.states}
    doomed = order_type.states.exclude(key__in=keep_states)
    in_use = [s.key for s in doomed if s.orders.exists()]
    if in_use:
        raise ValidationFailed(
            _("有工单处于要删除的状态中，请先处理这些工单。"),
            {f"states.{k}": _("还有工单处于这个状态。") for k in in_use},
        )
    order_type.transitions.all().delete()
    doomed.delete()
    states: dict[str, WorkflowState] = {}
    for position, s in enumerate(spec.states):
        state, _created = WorkflowState.objects.update_or_create(
            order_type=order_type,
            key=s.key,
            defaults={
                "name_zh": s.name.zh,
                "name_en": s.name.en,
                "category": s.category,
                "is_initial": s.initial,
                "position": position,
            },
        )
        states[s.key] = state

    order_type.fields.exclude(key__in=[f.key for f in spec.fields]).delete()
    for position, f in enumerate(spec.fields):
        FieldDefinition.objects.update_or_create(
            order_type=order_type,
            key=f.key,
            defaults={
                "label_zh": f.label.zh,
                "label_en": f.label.en,
                "field_type": f.type,
                "required": f.required,
                "choices": [c.model_dump() for c in f.choices],
                "min_value": f.min,
                "max_value": f.max,
                "max_length": f.max_length,
                "regex": f.regex,
                "help_zh": f.help.zh,
                "help_en": f.help.en,
                "visible_states": f.visible_states,
                "required_states": f.required_states,
                "position": position,
            },
        )
    for position, t in enumerate(spec.transitions):
        transition = Transition.objects.create(
            order_type=order_type,
            key=t.key,
            name_zh=t.name.zh,
            name_en=t.name.en,
            to_state=states[t.to],
            allowed_roles=t.roles,
            required_fields=t.required_fields,
            requires_comment=t.requires_comment,
            assign_to_actor=t.assign_to_actor,
            clears_assignee=t.clears_assignee,
            position=position,
        )
        transition.from_states.set([states[k] for k in t.from_])
    return order_type


def builtin_blueprint_files() -> list[Path]:
    return sorted(BLUEPRINT_DIR.glob("*.yaml"))


def install_builtin_blueprints() -> list[str]:
    """Install the shipped blueprints that are not in the database yet (idempotent)."""
    installed = []
    existing = set(WorkOrderType.objects.values_list("key", flat=True))
    for path in builtin_blueprint_files():
        text = path.read_text(encoding="utf-8")
        if blueprint_parse(text).key not in existing:
            installed.append(blueprint_import(text, builtin=True).key)
    return installed
