"""The type designer's working copy: a type as rows of a form, to and from YAML.

The designer never writes rows itself: it turns the submitted form into the
same blueprint document the YAML import reads, so the screen, the file and the
API share one validator and one importer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongdan.core.models import Role
from gongdan.workorders.blueprints import KEY, blueprint_export
from gongdan.workorders.models import (
    FieldDefinition,
    FieldType,
    Priority,
    StateCategory,
    WorkOrderType,
)

SPECIAL_ROLES = [
    ("assignee", gettext_lazy("当前处理人")),
    ("requester", gettext_lazy("本单报修人")),
]
CHOICE_TYPES = (FieldType.CHOICE, FieldType.MULTI_CHOICE)
NUMBER_TYPES = (FieldType.INTEGER, FieldType.DECIMAL)
KEY_RE = re.compile(KEY)


@dataclass
class FieldRow:
    key: str = ""
    original_key: str = ""
    label_zh: str = ""
    label_en: str = ""
    type: str = FieldType.TEXT
    required: bool = False
    choices: str = ""  # one per line: value | 中文 | English
    help_zh: str = ""
    help_en: str = ""
    min: str = ""
    max: str = ""
    max_length: str = ""
    regex: str = ""
    visible_states: list[str] = field(default_factory=list)
    required_states: list[str] = field(default_factory=list)
    section: str = ""


@dataclass
class StateRow:
    key: str = ""
    original_key: str = ""
    name_zh: str = ""
    name_en: str = ""
    category: str = StateCategory.NEW


@dataclass
class TransitionRow:
    key: str = ""
    name_zh: str = ""
    name_en: str = ""
    from_states: list[str] = field(default_factory=list)
    to: str = ""
    roles: list[str] = field(default_factory=list)
    required_fields: list[str] = field(default_factory=list)
    requires_comment: bool = False
    assign_to_actor: bool = False
    clears_assignee: bool = False


@dataclass
class SectionRow:
    title_zh: str = ""
    title_en: str = ""


@dataclass
class Draft:
    """A type being designed; errors are keyed like the form inputs."""

    key: str = ""
    is_new: bool = True
    name_zh: str = ""
    name_en: str = ""
    description_zh: str = ""
    description_en: str = ""
    default_priority: str = Priority.YELLOW
    initial: str = ""
    fields: list[FieldRow] = field(default_factory=list)
    states: list[StateRow] = field(default_factory=list)
    transitions: list[TransitionRow] = field(default_factory=list)
    sections: list[SectionRow] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    # --- from the database and from the form ------------------------------------

    @classmethod
    def blank(cls) -> Draft:
        return cls(
            states=[
                StateRow("new", "", "新建", "New", StateCategory.NEW),
                StateRow("in_progress", "", "处理中", "In progress", StateCategory.IN_PROGRESS),
                StateRow("resolved", "", "已解决", "Resolved", StateCategory.RESOLVED),
                StateRow("closed", "", "已关闭", "Closed", StateCategory.CLOSED),
            ],
            initial="new",
            sections=[SectionRow("基本信息", "Details")],
        )

    @classmethod
    def from_type(cls, order_type: WorkOrderType) -> Draft:
        return cls.from_document(blueprint_export(order_type), is_new=False)

    @classmethod
    def from_document(cls, doc: dict[str, Any], *, is_new: bool = True) -> Draft:
        sections = [
            SectionRow(s["title"].get("zh", ""), s["title"].get("en", ""))
            for s in doc.get("layout") or []
        ]
        where = {key: str(i) for i, s in enumerate(doc.get("layout") or []) for key in s["fields"]}
        draft = cls(
            key=doc["key"],
            is_new=is_new,
            name_zh=doc["name"].get("zh", ""),
            name_en=doc["name"].get("en", ""),
            description_zh=(doc.get("description") or {}).get("zh", ""),
            description_en=(doc.get("description") or {}).get("en", ""),
            default_priority=doc.get("default_priority", Priority.YELLOW),
            sections=sections,
        )
        for f in doc.get("fields") or []:
            draft.fields.append(
                FieldRow(
                    key=f["key"],
                    original_key=f["key"],
                    label_zh=f["label"].get("zh", ""),
                    label_en=f["label"].get("en", ""),
                    type=f["type"],
                    required=bool(f.get("required")),
                    choices="\n".join(
                        " | ".join([c["value"], c.get("zh", ""), c.get("en", "")]).rstrip(" |")
                        for c in f.get("choices") or []
                    ),
                    help_zh=(f.get("help") or {}).get("zh", ""),
                    help_en=(f.get("help") or {}).get("en", ""),
                    min="" if f.get("min") is None else str(f["min"]),
                    max="" if f.get("max") is None else str(f["max"]),
                    max_length=str(f.get("max_length") or ""),
                    regex=f.get("regex", ""),
                    visible_states=list(f.get("visible_states") or []),
                    required_states=list(f.get("required_states") or []),
                    section=where.get(f["key"], ""),
                )
            )
        for s in doc.get("states") or []:
            draft.states.append(
                StateRow(s["key"], s["key"], s["name"].get("zh", ""), s["name"].get("en", ""))
            )
            draft.states[-1].category = s["category"]
            if s.get("initial"):
                draft.initial = s["key"]
        for t in doc.get("transitions") or []:
            draft.transitions.append(
                TransitionRow(
                    key=t["key"],
                    name_zh=t["name"].get("zh", ""),
                    name_en=t["name"].get("en", ""),
                    from_states=list(t.get("from") or []),
                    to=t.get("to", ""),
                    roles=list(t.get("roles") or []),
                    required_fields=list(t.get("required_fields") or []),
                    requires_comment=bool(t.get("requires_comment")),
                    assign_to_actor=bool(t.get("assign_to_actor")),
                    clears_assignee=bool(t.get("clears_assignee")),
                )
            )
        return draft

    @classmethod
    def from_post(cls, post: QueryDict) -> Draft:
        def text(name: str) -> str:
            return (post.get(name) or "").strip()

        def rows(prefix: str) -> list[int]:
            return sorted(
                {int(m.group(1)) for k in post for m in [re.match(rf"{prefix}-(\d+)-", k)] if m}
            )

        draft = cls(
            key=text("key"),
            is_new=post.get("is_new") == "1",
            name_zh=text("name_zh"),
            name_en=text("name_en"),
            description_zh=text("description_zh"),
            description_en=text("description_en"),
            default_priority=text("default_priority") or Priority.YELLOW,
            initial=text("initial"),
        )
        for i in rows("sections"):
            draft.sections.append(
                SectionRow(text(f"sections-{i}-title_zh"), text(f"sections-{i}-title_en"))
            )
        for i in rows("states"):
            p = f"states-{i}-"
            draft.states.append(
                StateRow(
                    text(p + "key"),
                    text(p + "original_key"),
                    text(p + "name_zh"),
                    text(p + "name_en"),
                    text(p + "category") or StateCategory.NEW,
                )
            )
        for i in rows("fields"):
            p = f"fields-{i}-"
            draft.fields.append(
                FieldRow(
                    key=text(p + "key"),
                    original_key=text(p + "original_key"),
                    label_zh=text(p + "label_zh"),
                    label_en=text(p + "label_en"),
                    type=text(p + "type") or FieldType.TEXT,
                    required=bool(post.get(p + "required")),
                    choices=(post.get(p + "choices") or "").strip(),
                    help_zh=text(p + "help_zh"),
                    help_en=text(p + "help_en"),
                    min=text(p + "min"),
                    max=text(p + "max"),
                    max_length=text(p + "max_length"),
                    regex=text(p + "regex"),
                    visible_states=post.getlist(p + "visible_states"),
                    required_states=post.getlist(p + "required_states"),
                    section=text(p + "section"),
                )
            )
        for i in rows("transitions"):
            p = f"transitions-{i}-"
            draft.transitions.append(
                TransitionRow(
                    key=text(p + "key"),
                    name_zh=text(p + "name_zh"),
                    name_en=text(p + "name_en"),
                    from_states=post.getlist(p + "from"),
                    to=text(p + "to"),
                    roles=post.getlist(p + "roles"),
                    required_fields=post.getlist(p + "required_fields"),
                    requires_comment=bool(post.get(p + "requires_comment")),
                    assign_to_actor=bool(post.get(p + "assign_to_actor")),
                    clears_assignee=bool(post.get(p + "clears_assignee")),
                )
            )
        draft._follow_renamed_states()
        return draft

    def _follow_renamed_states(self) -> None:
        """A state renamed on screen keeps its place in transitions and field rules."""
        moved = {s.original_key: s.key for s in self.states if s.original_key and s.key}
        moved = {old: new for old, new in moved.items() if old != new}
        if not moved:
            return
        for t in self.transitions:
            t.from_states = [moved.get(k, k) for k in t.from_states]
            t.to = moved.get(t.to, t.to)
        for f in self.fields:
            f.visible_states = [moved.get(k, k) for k in f.visible_states]
            f.required_states = [moved.get(k, k) for k in f.required_states]
        self.initial = moved.get(self.initial, self.initial)

    # --- editing operations (add, remove, reorder) ---------------------------------

    def apply(self, op: str) -> None:
        """``add:fields``, ``remove:fields:2``, ``up:states:1``, ``down:transitions:0``."""
        parts = op.split(":")
        if len(parts) < 2 or parts[1] not in ("fields", "states", "transitions", "sections"):
            return
        rows: list[Any] = getattr(self, parts[1])
        if parts[0] == "add":
            factory = {
                "fields": FieldRow,
                "states": StateRow,
                "transitions": TransitionRow,
                "sections": SectionRow,
            }[parts[1]]
            new = factory()
            if isinstance(new, FieldRow) and self.sections:
                new.section = "0"
            rows.append(new)
            return
        try:
            index = int(parts[2])
        except (IndexError, ValueError):
            return
        if not 0 <= index < len(rows):
            return
        if parts[0] == "remove":
            rows.pop(index)
            if parts[1] == "sections":
                self._drop_section(index)
        elif parts[0] == "up" and index > 0:
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
            if parts[1] == "sections":
                self._swap_sections(index - 1, index)
        elif parts[0] == "down" and index < len(rows) - 1:
            rows[index + 1], rows[index] = rows[index], rows[index + 1]
            if parts[1] == "sections":
                self._swap_sections(index, index + 1)

    def _drop_section(self, index: int) -> None:
        for f in self.fields:
            if f.section == str(index):
                f.section = ""
            elif f.section.isdigit() and int(f.section) > index:
                f.section = str(int(f.section) - 1)

    def _swap_sections(self, a: int, b: int) -> None:
        for f in self.fields:
            if f.section == str(a):
                f.section = str(b)
            elif f.section == str(b):
                f.section = str(a)

    # --- to the blueprint document -------------------------------------------------

    def renames(self) -> dict[str, str]:
        return {
            f.original_key: f.key
            for f in self.fields
            if f.original_key and f.key and f.original_key != f.key
        }

    def check(self) -> None:
        """Problems a person makes on this screen, in their language, by input name.
        The blueprint validator still checks everything else afterwards."""
        e = self.errors
        if not KEY_RE.match(self.key):
            e["key"] = _("标识须以小写字母开头，只含小写字母、数字和下划线。")
        if not self.name_zh:
            e["name_zh"] = _("此项为必填。")
        if not self.states:
            e["states"] = _("至少需要一个状态。")
        keyed: list[tuple[str, list[str]]] = [
            ("fields", [f.key for f in self.fields]),
            ("states", [s.key for s in self.states]),
        ]
        for kind, keys in keyed:
            seen: set[str] = set()
            for i, key in enumerate(keys):
                if not KEY_RE.match(key):
                    e[f"{kind}-{i}-key"] = _("标识须以小写字母开头，只含小写字母、数字和下划线。")
                elif key in seen:
                    e[f"{kind}-{i}-key"] = _("标识重复。")
                seen.add(key)
        for i, f in enumerate(self.fields):
            if not f.label_zh:
                e[f"fields-{i}-label_zh"] = _("此项为必填。")
            if f.type in CHOICE_TYPES and not self._choices(f):
                e[f"fields-{i}-choices"] = _("单选、多选字段至少需要一个选项。")
            for bound in ("min", "max"):
                raw = getattr(f, bound)
                if raw:
                    try:
                        Decimal(raw)
                    except InvalidOperation:
                        e[f"fields-{i}-{bound}"] = _("应为数字。")
            if f.max_length and not f.max_length.isdigit():
                e[f"fields-{i}-max_length"] = _("应为整数。")
            if f.regex:
                try:
                    re.compile(f.regex)
                except re.error:
                    e[f"fields-{i}-regex"] = _("正则表达式无效。")
        state_keys = {s.key for s in self.states}
        seen_t: set[str] = set()
        for i, t in enumerate(self.transitions):
            if not KEY_RE.match(t.key):
                e[f"transitions-{i}-key"] = _("标识须以小写字母开头，只含小写字母、数字和下划线。")
            elif t.key in seen_t:
                e[f"transitions-{i}-key"] = _("标识重复。")
            seen_t.add(t.key)
            if not t.name_zh:
                e[f"transitions-{i}-name_zh"] = _("此项为必填。")
            if not [k for k in t.from_states if k in state_keys]:
                e[f"transitions-{i}-from"] = _("至少选择一个起始状态。")
            if t.to not in state_keys:
                e[f"transitions-{i}-to"] = _("请选择目标状态。")

    @staticmethod
    def _choices(row: FieldRow) -> list[dict[str, str]]:
        out = []
        for line in row.choices.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if not parts[0]:
                continue
            value = parts[0]
            zh = parts[1] if len(parts) > 1 and parts[1] else value
            choice = {"value": value, "zh": zh}
            if len(parts) > 2 and parts[2]:
                choice["en"] = parts[2]
            out.append(choice)
        return out

    def document(self) -> dict[str, Any]:
        """The blueprint document (the YAML shape) this draft describes."""

        def text(zh: str, en: str) -> dict[str, str]:
            return {"zh": zh, "en": en} if en else {"zh": zh}

        state_keys = [s.key for s in self.states]
        initial = self.initial if self.initial in state_keys else (state_keys or [""])[0]
        doc: dict[str, Any] = {"key": self.key, "name": text(self.name_zh, self.name_en)}
        if self.description_zh or self.description_en:
            doc["description"] = {"zh": self.description_zh, "en": self.description_en}
        doc["default_priority"] = self.default_priority
        fields = []
        for f in self.fields:
            item: dict[str, Any] = {
                "key": f.key,
                "label": text(f.label_zh, f.label_en),
                "type": f.type,
            }
            if f.required:
                item["required"] = True
            if f.type in CHOICE_TYPES:
                item["choices"] = self._choices(f)
            if f.type in NUMBER_TYPES:
                for bound in ("min", "max"):
                    raw = getattr(f, bound)
                    if raw:
                        try:
                            number = Decimal(raw)
                        except InvalidOperation:
                            continue
                        item[bound] = int(number) if number == number.to_integral() else raw
            if f.type in (FieldType.TEXT, FieldType.LONG_TEXT):
                if f.max_length.isdigit():
                    item["max_length"] = int(f.max_length)
                if f.regex:
                    item["regex"] = f.regex
            if f.help_zh or f.help_en:
                item["help"] = {"zh": f.help_zh, "en": f.help_en}
            if f.visible_states:
                item["visible_states"] = [k for k in f.visible_states if k in state_keys]
            if f.required_states:
                item["required_states"] = [k for k in f.required_states if k in state_keys]
            fields.append(item)
        doc["fields"] = fields
        doc["states"] = [
            {"key": s.key, "name": text(s.name_zh, s.name_en), "category": s.category}
            | ({"initial": True} if s.key == initial else {})
            for s in self.states
        ]
        field_keys = {f.key for f in self.fields}
        transitions = []
        for t in self.transitions:
            item = {
                "key": t.key,
                "name": text(t.name_zh, t.name_en),
                "from": [k for k in state_keys if k in t.from_states],
                "to": t.to,
                "roles": list(t.roles),
            }
            required = [k for k in t.required_fields if k in field_keys]
            if required:
                item["required_fields"] = required
            for flag in ("requires_comment", "assign_to_actor", "clears_assignee"):
                if getattr(t, flag):
                    item[flag] = True
            transitions.append(item)
        doc["transitions"] = transitions
        layout = []
        for i, s in enumerate(self.sections):
            keys = [f.key for f in self.fields if f.section == str(i) and f.key]
            if keys:
                layout.append({"title": text(s.title_zh or _("分组"), s.title_en), "fields": keys})
        if layout:
            doc["layout"] = layout
        return doc

    def preview_fields(self) -> list[FieldDefinition]:
        """Unsaved definitions, so the preview draws exactly what the order form will."""
        out = []
        for position, f in enumerate(self.fields):
            out.append(
                FieldDefinition(
                    key=f.key or f"field_{position}",
                    label_zh=f.label_zh or f.key or "?",
                    label_en=f.label_en,
                    field_type=f.type if f.type in FieldType.values else FieldType.TEXT,
                    required=f.required,
                    choices=self._choices(f),
                    help_zh=f.help_zh,
                    help_en=f.help_en,
                    position=position,
                )
            )
        return out

    def preview_sections(self) -> list[tuple[str, list[FieldDefinition]]]:
        from gongdan.core.i18n import pick

        definitions = self.preview_fields()
        out: list[tuple[str, list[FieldDefinition]]] = []
        for i, s in enumerate(self.sections):
            members = [
                d for d, f in zip(definitions, self.fields, strict=True) if f.section == str(i)
            ]
            if members:
                out.append((pick(s.title_zh, s.title_en), members))
        rest = [d for d, f in zip(definitions, self.fields, strict=True) if not f.section.isdigit()]
        if rest:
            out.append((_("其他"), rest))
        return out


def role_choices() -> list[tuple[str, str]]:
    return [(str(v), str(label)) for v, label in Role.choices] + [
        (k, str(label)) for k, label in SPECIAL_ROLES
    ]


def errors_from_blueprint(errors: dict[str, str], draft: Draft) -> dict[str, str]:
    """Map the validator's locations (``fields.2.key``, ``states.repair``) to inputs."""
    mapped: dict[str, str] = {}
    state_index = {s.key: i for i, s in enumerate(draft.states)}
    for where, message in errors.items():
        parts = where.split(".")
        if (
            len(parts) >= 3
            and parts[0] in ("fields", "states", "transitions")
            and parts[1].isdigit()
        ):
            mapped[f"{parts[0]}-{parts[1]}-{parts[2]}"] = message
        elif len(parts) == 2 and parts[0] == "states" and parts[1] in state_index:
            mapped[f"states-{state_index[parts[1]]}-key"] = message
        elif (
            len(parts) >= 2
            and parts[0] in ("fields", "states", "transitions")
            and parts[1].isdigit()
        ):
            mapped[f"{parts[0]}-{parts[1]}-key"] = message
        else:
            mapped["__all__"] = (mapped.get("__all__", "") + " " + message).strip()
    return mapped
