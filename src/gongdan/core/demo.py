"""The demo plant: an injection-moulding machine and mould maker with about 180 staff.

`demo_load` builds the people, machines and eight weeks of order history that a
newcomer needs to see gongdan do something real. It is idempotent: reference
rows are matched by their natural keys and each history order carries an
idempotency key in the ``demo`` scope, so a second run adds nothing.

History is planned first (a pure function of the seed and the clock, see
`demo_plan`) and then played through the order services with explicit
timestamps, so every order has a complete, consistent event timeline.

Other apps extend the demo with a module ``<app>.demo`` defining
``extend(context: dict) -> None`` (routing rules, SLA policies, parts …); it is
called after the base demo and must itself be idempotent.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import importlib.util
import logging
import random
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from gongdan.assets.models import Asset
from gongdan.core.errors import ServiceError
from gongdan.core.models import Region, Role, Skill, Team, User, UserSkill
from gongdan.workorders.models import IdempotencyKey, WorkOrder, WorkOrderType
from gongdan.workorders.services import (
    comment_create,
    work_order_assign,
    work_order_create,
    work_order_transition,
)

log = logging.getLogger("gongdan.demo")

DEMO_PASSWORD = "gongdan123"
DEMO_SCOPE = "demo"
SEED = 2024

REGIONS = [("east", "华东"), ("south", "华南"), ("north", "华北")]

# code, name, region
TEAMS = [
    ("electrical", "电气组", "east"),
    ("mechanical", "机修组", "east"),
    ("mould", "模具组", "east"),
    ("service_south", "华南服务站", "south"),
    ("service_north", "华北服务站", "north"),
]

# code, name, English name, is a certificate
SKILLS = [
    ("hv", "高压电工证", "High-voltage electrician licence", True),
    ("hydraulic", "液压", "Hydraulics", False),
    ("imm", "注塑机", "Injection moulding machines", False),
    ("plc", "PLC", "PLC", False),
    ("mould", "模具", "Moulds", False),
]


def _table(text: str) -> list[list[str]]:
    """Rows of a ``|``-separated table: the demo's reference data stays readable."""
    return [[cell.strip() for cell in line.split("|")] for line in text.strip().splitlines()]


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    role: str
    team: str
    region: str
    phone: str
    # (skill code, level, certificate number, days until it expires or None)
    skills: tuple[tuple[str, int, str, int | None], ...]


def _skills(text: str) -> tuple[tuple[str, int, str, int | None], ...]:
    held = []
    for item in text.split():
        code, level, number, days = [*item.split(":"), "", "", ""][:4]
        held.append((code, int(level or 1), number, int(days) if days else None))
    return tuple(held)


# skill:level[:certificate number:days until it expires]. engineer2's licence runs
# out within the month, so the certificate screens have something to warn about.
HELD = {
    "engineer1": "hv:3:T330203197805120011:410 plc:3 imm:2",
    "engineer2": "hv:2:T330206198811030035:18 imm:2 plc:1",
    "engineer3": "hydraulic:3 imm:3",
    "engineer4": "mould:3 hydraulic:1",
    "engineer5": "imm:3 hydraulic:2 plc:2",
    "engineer6": "imm:2 hv:2:T120104198502170052:300 hydraulic:2",
}
PEOPLE = [
    Person(username, name, role, team, region, phone, _skills(HELD.get(username, "")))
    for username, name, role, team, region, phone in _table(
        """
        admin      | 系统管理员         | admin      |               | east  |
        dispatcher | 孙丽（调度）       | dispatcher |               | east  | 0574-86881201
        manager    | 周国华（经理）     | manager    |               | east  | 13905741002
        clerk      | 吴静（文员）       | clerk      |               | east  | 0574-86881203
        warehouse  | 郑海波（仓库）     | warehouse  |               | east  | 13905741004
        requester  | 钱小军（注塑班长） | requester  |               | east  | 13905741005
        engineer1  | 王建国             | engineer   | electrical    | east  | 13905741011
        engineer2  | 李志强             | engineer   | electrical    | east  | 13905741012
        engineer3  | 张伟               | engineer   | mechanical    | east  | 13905741013
        engineer4  | 陈晓东             | engineer   | mould         | east  | 13905741014
        engineer5  | 刘洋               | engineer   | service_south | south | 13825761015
        engineer6  | 赵磊               | engineer   | service_north | north | 13602261016
        """
    )
]

# Our plant near Ningbo, then machines at customers' sites (for after-sales service).
PLANT = "宁波北仑总厂"
ASSETS = [
    (code, name, f"{PLANT} {place}" if not customer else place, region, customer)
    for code, name, place, region, customer in _table(
        """
        IMM-001 | 海天 MA1600III 注塑机         | 试模车间 1 号位       | east  |
        IMM-002 | 海天 MA2500III 注塑机         | 试模车间 2 号位       | east  |
        IMM-003 | 海天 MA3800III 注塑机         | 试模车间 3 号位       | east  |
        IMM-004 | 伊之密 UN260A5 注塑机         | 试模车间 4 号位       | east  |
        IMM-005 | 海天 JU6500 注塑机            | 总装车间 出厂测试台   | east  |
        IMM-006 | 震雄 EF-180 注塑机            | 样品车间              | east  |
        CNC-001 | 牧野 V56i 立式加工中心        | 模具车间 A 区         | east  |
        CNC-002 | 牧野 V56i 立式加工中心        | 模具车间 A 区         | east  |
        CNC-003 | 北京精雕 JDGR400 五轴加工中心 | 模具车间 B 区         | east  |
        CNC-004 | 大隈 MB-80V 龙门加工中心      | 机加工车间            | east  |
        EDM-001 | 沙迪克 AG40L 电火花成型机     | 模具车间 C 区         | east  |
        EDM-002 | 沙迪克 AG60L 电火花成型机     | 模具车间 C 区         | east  |
        WED-001 | 沙迪克 AL400G 慢走丝线切割    | 模具车间 C 区         | east  |
        GRD-001 | 冈本 PSG-63DX 平面磨床        | 模具车间 D 区         | east  |
        LTH-001 | 沈阳机床 CAK6150 数控车床     | 机加工车间            | east  |
        CMP-001 | 阿特拉斯 GA37 螺杆空压机      | 空压站                | east  |
        CRN-001 | 10 吨桥式起重机               | 总装车间              | east  |
        XFM-001 | SCB11-1250kVA 干式变压器      | 10kV 配电房           | east  |
        IMM-101 | 海天 MA2500III 注塑机 | 东莞市长安镇 2 号厂房 | south | 东莞华力塑胶制品有限公司
        IMM-102 | 海天 MA1600III 注塑机 | 深圳市宝安区 B 栋一楼 | south | 深圳宏达电子科技有限公司
        IMM-103 | 海天 JU4500 注塑机    | 佛山市顺德区 注塑车间 | south | 佛山美佳家电有限公司
        IMM-104 | 伊之密 UN380A5 注塑机 | 厦门市集美区 3 号车间 | south | 厦门鑫泰塑业有限公司
        IMM-201 | 海天 MA3800III 注塑机 | 天津市西青区 注塑一线 | north | 天津津辰汽车部件有限公司
        MLD-201 | 保险杠模具 2301       | 天津市西青区 注塑一线 | north | 天津津辰汽车部件有限公司
        IMM-202 | 海天 MA2500III 注塑机 | 青岛市黄岛区 A 车间   | north | 青岛海川塑料制品有限公司
        IMM-203 | 海天 MA1600III 注塑机 | 北京市大兴区 洁净车间 | north | 北京恒通医疗器械有限公司
        IMM-204 | 海天 JU6500 注塑机    | 沈阳市铁西区 内饰车间 | north | 沈阳北方汽车内饰有限公司
        IMM-301 | 海天 MA2000III 注塑机 | 苏州市吴中区 精密车间 | east  | 苏州瑞丰精密塑胶有限公司
        IMM-302 | 海天 MA3200III 注塑机 | 宁波市余姚市 2 号厂房 | east  | 宁波甬星日用品有限公司
        IMM-303 | 伊之密 UN200A5 注塑机 | 上海市松江区 包装车间 | east  | 上海申丰包装材料有限公司
        """
    )
]
IN_HOUSE = [a[0] for a in ASSETS if not a[4]]
IN_HOUSE_IMM = [code for code in IN_HOUSE if code.startswith("IMM")]
CUSTOMER_ASSETS = [a[0] for a in ASSETS if a[4]]
CONTACTS = ["黄经理", "林工", "何主管", "罗师傅", "梁工", "马厂长", "高主任", "郭工"]

# Repair knowledge, by symptom: fault category | cause | fix | part that may be awaited.
FAULTS: dict[str, list[list[str]]] = {}
for _symptom, *_fault in _table(
    """
    no_start       | electrical | 主接触器触点烧蚀     | 更换接触器，试机正常   | 接触器 LC1-D50
    no_start       | electrical | 急停回路端子松脱     | 重新压接端子并紧固     |
    no_start       | control    | 24V 电源模块损坏     | 更换电源模块，恢复参数 | 24V 电源模块
    abnormal_noise | mechanical | 联轴器弹性块磨损     | 更换弹性块，重新对中   | 联轴器弹性块
    abnormal_noise | mechanical | 合模曲肘润滑不足     | 清洗润滑管路并加脂     |
    oil_leak       | hydraulic  | 射台油缸密封圈老化   | 更换油缸密封，试压     | 油缸密封组件
    oil_leak       | hydraulic  | 高压油管接头松动     | 紧固接头，换 O 型圈    |
    alarm          | control    | 冷却水阀堵塞致油温高 | 拆洗冷却器与水阀       |
    alarm          | electrical | 第三段加热圈烧断     | 更换加热圈             | 加热圈 Φ80×60
    alarm          | control    | 热电偶断线           | 更换 K 型热电偶        |
    alarm          | control    | 安全门限位开关误报   | 调整并紧固限位开关     |
    quality_defect | mould      | 排气槽堵塞，制品烧焦 | 清理排气槽，降注射速度 |
    quality_defect | mould      | 顶针断裂，制品顶白   | 更换顶针并研配         | 顶针 Φ6×200
    quality_defect | hydraulic  | 比例阀响应慢保压不稳 | 清洗比例阀并标定       | 比例压力阀
    other          | pneumatic  | 气动电磁阀漏气       | 更换电磁阀             | 电磁阀 4V210
    temperature    | control    | 温控模块通道损坏     | 更换温控模块           | 温控模块
    pressure       | hydraulic  | 比例阀阀芯卡滞       | 清洗比例阀并标定       | 比例流量阀
    control        | control    | 操作屏背光板老化     | 更换操作屏             | 操作屏 10.4 寸
    """
):
    FAULTS.setdefault(_symptom, []).append(_fault)

# symptom -> (title words, what the reporter says)
SYMPTOM_TEXT = {
    "no_start": ("无法启动", "按启动无反应，油泵不转。"),
    "abnormal_noise": ("异响", "合模时有明显异响，越来越大。"),
    "oil_leak": ("漏油", "机台下方有油渍，油位下降。"),
    "alarm": ("报警停机", "屏幕报警后自动停机，复位后又报。"),
    "quality_defect": ("制品不良", "制品出现缺陷，调参数无改善。"),
    "other": ("其他故障", "动作异常，请派人看一下。"),
    "temperature": ("温度异常", "料筒温度波动大，超出设定范围。"),
    "pressure": ("压力不稳", "注射压力忽高忽低，制品重量不稳定。"),
    "control": ("电脑屏幕故障", "操作屏黑屏或触摸无反应。"),
}
# How often each symptom is reported, on our floor and by customers.
REPAIR_SYMPTOMS = {"no_start": 2, "abnormal_noise": 2, "oil_leak": 3, "alarm": 5}
REPAIR_SYMPTOMS |= {"quality_defect": 3, "other": 1}
SALES_SYMPTOMS = {"alarm": 4, "temperature": 2, "pressure": 2, "oil_leak": 2, "control": 2}
SALES_SYMPTOMS |= {"no_start": 1, "abnormal_noise": 1, "quality_defect": 1}
ALARMS = ["E-203 油温过高", "E-117 加热异常", "E-031 安全门未关", "E-452 马达过载"]

# symptom | area | exact place | trade | work done
FACILITY = _table(
    """
    lighting      | workshop_1 | 一车间北侧高棚灯     | electrical | 更换 LED 高棚灯 3 盏
    power_outage  | mould_shop | 模具车间 3 号配电箱  | electrical | 更换漏电开关，排查线路绝缘
    water_leak    | office     | 办公楼三楼东侧卫生间 | plumbing   | 更换角阀与软管
    blockage      | canteen    | 食堂后厨排水沟       | plumbing   | 疏通排水管，清理隔油池
    hvac          | office     | 办公楼二楼会议室空调 | hvac       | 清洗滤网，补充冷媒
    door_window   | warehouse  | 仓库 2 号卷帘门      | building   | 更换卷帘门限位器
    safety_hazard | workshop_2 | 二车间消防通道       | fire       | 清理通道堆放物，补换灭火器
    hvac          | workshop_2 | 二车间排风扇         | hvac       | 更换排风扇电机轴承
    lighting      | dormitory  | 宿舍 B 栋楼道        | electrical | 更换声控灯 6 个
    other         | outdoor    | 厂区大门道闸         | network    | 重启道闸控制器，更换地感线圈

    """
)
PM_ASSETS = [*IN_HOUSE_IMM, "CNC-001", "CNC-002", "CNC-003", "EDM-001", "CMP-001", "XFM-001"]


# --- the plan ------------------------------------------------------------------


@dataclass
class Step:
    """One thing that happens to a planned order, at a given moment."""

    at: datetime.datetime
    kind: str  # "assign", "transition" or "comment"
    actor: str | None
    action: str = ""
    assignee: str | None = None
    on_behalf_of: str | None = None
    comment: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderPlan:
    """An order to create and the steps it goes through (some may lie in the future)."""

    key: str
    type_key: str
    created_at: datetime.datetime
    creator: str
    title: str
    priority: str
    asset: str | None
    data: dict[str, Any]
    description: str = ""
    on_behalf_of: str | None = None
    requester: str | None = None
    steps: list[Step] = field(default_factory=list)


class _Clock:
    """Moves a planned order along in time, keeping to the plant's working pattern.

    Red orders are worked at any hour; the rest wait for the next working
    period (Mon–Sat 08:00–18:00), as the maintenance crew does.
    """

    def __init__(self, at: datetime.datetime, urgent: bool, rng: random.Random) -> None:
        self.at = at
        self.urgent = urgent
        self.rng = rng

    def after(self, minutes: float) -> datetime.datetime:
        self.at = self.at + datetime.timedelta(minutes=max(1.0, minutes))
        if not self.urgent:
            self.at = _working(self.at, self.rng)
        return self.at

    def minutes(self, low: float, high: float) -> datetime.datetime:
        return self.after(self.rng.uniform(low, high))


def _working(at: datetime.datetime, rng: random.Random) -> datetime.datetime:
    local = timezone.localtime(at)
    if local.weekday() < 6 and 8 <= local.hour < 18:
        return at
    day = local.date() if local.hour < 8 else local.date() + datetime.timedelta(days=1)
    if day.weekday() == 6:
        day += datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(8, 0), tzinfo=local.tzinfo)
    return start + datetime.timedelta(minutes=rng.uniform(5, 50))


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moment(
    day: datetime.date, rng: random.Random, hours: tuple[float, float]
) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    minutes = rng.uniform(hours[0] * 60, hours[1] * 60)
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=tz) + datetime.timedelta(
        minutes=minutes
    )


def _arrival_point(rng: random.Random, region: str) -> dict[str, Any]:
    base = {"east": (29.8945, 121.8447), "south": (22.8025, 113.6734), "north": (39.0842, 117.0876)}
    lat, lng = base[region]
    return {
        "lat": round(lat + rng.uniform(-0.002, 0.002), 6),
        "lng": round(lng + rng.uniform(-0.002, 0.002), 6),
    }


def demo_plan(*, weeks: int = 8, seed: int = SEED, now: datetime.datetime) -> list[OrderPlan]:
    """The demo's order history: pure, reproducible from ``seed`` and ``now``.

    Working days bring 5–7 orders (Saturdays fewer, Sundays almost none), a
    night shift reports some, and every Tuesday morning brings a cluster of
    breakdowns after the Monday mould changes, which the crew works off late.
    """
    rng = random.Random(seed)
    today = timezone.localdate(now)
    start = today - datetime.timedelta(days=7 * weeks)
    planner = _Planner(rng)
    day = start
    while day <= today:
        weekday = day.weekday()
        if weekday == 0:
            planner.preventive_week(day)
        count = {5: rng.randint(3, 5), 6: rng.randint(0, 2)}.get(weekday, rng.randint(5, 7))
        for _ in range(count):
            hours = (20.0, 30.0) if rng.random() < 0.12 else (7.8, 17.8)
            planner.reported(_moment(day, rng, hours))
        if weekday == 1:
            for _ in range(rng.randint(4, 6)):
                planner.reported(_moment(day, rng, (8.0, 10.5)), cluster=True)
        day += datetime.timedelta(days=1)
    plans = sorted(planner.plans, key=lambda p: p.created_at)
    plans = [p for p in plans if p.created_at < now]
    for index, plan in enumerate(plans, start=1):
        plan.key = f"order-{index:04d}"
    _leave_backlog(plans, now, rng)
    return plans


# The open work on the board when the demo is loaded: the latest orders stop
# before these actions, so every open state has something in it.
BACKLOG = ["", "accept", "depart", "arrive", "resolve", "close"]


def _leave_backlog(plans: list[OrderPlan], now: datetime.datetime, rng: random.Random) -> None:
    live = [p for p in plans if not any(s.action == "cancel" for s in p.steps)]
    recent = live[-3 * len(BACKLOG) :]
    # Three orders per open state, the oldest of them furthest along: an order stops
    # before its target only once the steps before it have happened, and a report
    # from this morning may not have been fixed yet, whatever the time of day.
    for index, plan in enumerate(recent):
        target = BACKLOG[-1 - index // 3]
        cut = next((n for n, s in enumerate(plan.steps) if not target or s.action == target), None)
        if cut is not None:
            del plan.steps[cut:]
    # Imported parts take weeks: a few orders of the last fortnight still wait for them.
    since = now - datetime.timedelta(days=14)
    waiting = [
        p
        for p in live
        if p.created_at > since and p not in recent and any(s.action == "resume" for s in p.steps)
    ]
    for plan in rng.sample(waiting, min(3, len(waiting))):
        del plan.steps[[s.action for s in plan.steps].index("resume") :]


class _Planner:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.plans: list[OrderPlan] = []

    # Who is sent: the plant's own machines by trade, customers' by region.
    def engineer_for(self, category: str, asset: str | None) -> str:
        region = _asset_region(asset)
        if region == "south":
            return "engineer5"
        if region == "north":
            return "engineer6"
        if category in ("electrical", "control", "network"):
            return self.rng.choice(["engineer1", "engineer1", "engineer2"])
        if category == "mould":
            return "engineer4"
        return self.rng.choice(["engineer3", "engineer3", "engineer4"])

    def reported(self, at: datetime.datetime, cluster: bool = False) -> None:
        roll = self.rng.random()
        if cluster or roll < 0.58:
            self.repair(at, cluster)
        elif roll < 0.86:
            self.after_sales(at)
        else:
            self.facility(at)

    def repair(self, at: datetime.datetime, cluster: bool) -> None:
        rng = self.rng
        symptom = _pick(rng, REPAIR_SYMPTOMS)
        category, cause, fix, part = rng.choice(FAULTS[symptom])
        asset = rng.choice(IN_HOUSE_IMM if rng.random() < 0.8 else IN_HOUSE)
        stopped = symptom in ("no_start", "alarm") or rng.random() < 0.25
        priority = (
            "red" if stopped and rng.random() < 0.7 else rng.choice(["yellow"] * 5 + ["blue"])
        )
        data: dict[str, Any] = {"symptom": symptom, "machine_stopped": stopped}
        if stopped:
            data["downtime_start"] = (
                at - datetime.timedelta(minutes=rng.randint(3, 25))
            ).isoformat()
        if symptom == "alarm":
            data["alarm_code"] = rng.choice(ALARMS)
        label, text = SYMPTOM_TEXT[symptom]
        roll = rng.random()
        creator, on_behalf_of, requester = "requester", None, None
        if roll < 0.12:
            # A paper ticket the engineer filled in on the floor, typed in by the clerk.
            creator, on_behalf_of = "clerk", self.engineer_for(category, asset)
        elif roll < 0.22:
            creator = self.engineer_for(category, asset)
        elif roll < 0.35:
            creator, requester = "dispatcher", "requester"
        plan = OrderPlan(
            key="",
            type_key="equipment_repair",
            created_at=at,
            creator=creator,
            on_behalf_of=on_behalf_of,
            requester=requester,
            title=f"{asset} {label}",
            description=text,
            priority=priority,
            asset=asset,
            data=data,
        )
        done = {
            "fault_category": category,
            "fault_cause": cause,
            "fix_action": fix,
            "fix_result": "fixed" if rng.random() < 0.9 else "temporary",
            "labour_hours": str(rng.choice([0.5, 1, 1.5, 2, 3, 4])),
        }
        self.lifecycle(plan, category, done, part, cluster=cluster, travel=(3, 15))

    def after_sales(self, at: datetime.datetime) -> None:
        rng = self.rng
        symptom = _pick(rng, SALES_SYMPTOMS)
        category, cause, fix, part = rng.choice(FAULTS[symptom])
        asset = rng.choice(CUSTOMER_ASSETS)
        code, name, location, _region, customer = next(a for a in ASSETS if a[0] == asset)
        model = name.split()[1]
        if code.startswith("MLD"):
            # A mould we built for the customer: its faults show in the parts it makes.
            symptom, model = "quality_defect", name.split()[-1]
            category, cause, fix, part = FAULTS["quality_defect"][rng.randint(0, 1)]
        warranty = rng.choices(
            ["in_warranty", "out_of_warranty", "service_contract"], weights=[5, 3, 2]
        )[0]
        data: dict[str, Any] = {
            "symptom": symptom,
            "customer_name": customer,
            "contact_name": rng.choice(CONTACTS),
            "contact_phone": f"13{rng.randint(100000000, 999999999)}",
            "site_address": location,
            "product_model": model,
            "serial_number": f"{model}-{2209 + int(code[-1])}-0{code[-3:]}",
            "warranty_status": warranty,
            "service_type": "repair" if rng.random() < 0.85 else "inspection",
        }
        label, text = SYMPTOM_TEXT[symptom]
        creator = rng.choices(["dispatcher", "clerk", "requester"], weights=[7, 2, 1])[0]
        plan = OrderPlan(
            key="",
            type_key="after_sales",
            created_at=at,
            creator=creator,
            title=f"{customer} {model} {label}",
            description=f"客户来电：{text}",
            priority=rng.choices(["red", "yellow", "blue"], weights=[2, 7, 1])[0],
            asset=asset,
            data=data,
        )
        charge = {"in_warranty": "free", "service_contract": "contract"}.get(warranty, "chargeable")
        done: dict[str, Any] = {
            "fault_cause": cause,
            "fix_action": fix,
            "charge_type": charge,
            "labour_hours": str(rng.choice([1, 2, 3, 4, 6])),
        }
        if part:
            done["parts_replaced"] = part
        if charge == "chargeable":
            done["service_fee"] = str(rng.choice([800, 1200, 1500, 2600, 3800]))
        remote = rng.random() < 0.22
        self.lifecycle(
            plan, category, done, part, travel=(60, 300), remote=remote, region=_asset_region(asset)
        )

    def facility(self, at: datetime.datetime) -> None:
        rng = self.rng
        symptom, area, location, trade, fix = rng.choice(FACILITY)
        stops = symptom == "power_outage" and area != "office"
        plan = OrderPlan(
            key="",
            type_key="facility_service",
            created_at=at,
            creator=rng.choices(["requester", "clerk"], weights=[7, 3])[0],
            title=location,
            description="请尽快安排人员处理。",
            priority="red" if stops else rng.choices(["yellow", "blue"], weights=[3, 1])[0],
            asset=None,
            data={
                "symptom": symptom,
                "area": area,
                "location_detail": location,
                "affects_production": stops,
            },
        )
        if plan.creator == "clerk":
            plan.requester = "requester"
        done: dict[str, Any] = {"category": trade, "fix_action": fix}
        if rng.random() < 0.15:
            done.update({"outsourced": True, "vendor": "宁波安达机电安装有限公司", "cost": "680"})
        self.lifecycle(plan, trade, done, "", travel=(5, 20))

    def preventive_week(self, monday: datetime.date) -> None:
        """The dispatcher releases the week's maintenance plan on Monday morning."""
        rng = self.rng
        for asset in rng.sample(PM_ASSETS, 5):
            planned = monday + datetime.timedelta(days=rng.randint(0, 5))
            at = _moment(monday, rng, (8.2, 9.0))
            category = "electrical" if asset == "XFM-001" else "mechanical"
            plan = OrderPlan(
                key="",
                type_key="preventive_maintenance",
                created_at=at,
                creator="dispatcher",
                title=f"{asset} {'季度' if asset == 'XFM-001' else '月度'}保养",
                priority="blue",
                asset=asset,
                data={
                    "plan": "quarterly" if asset == "XFM-001" else "monthly",
                    "planned_date": planned.isoformat(),
                    "estimated_hours": "2",
                    "shutdown_window": f"{planned:%m-%d} 08:00–12:00",
                },
            )
            result = rng.choices(["normal", "minor_fixed", "repair_needed"], weights=[15, 4, 1])[0]
            done: dict[str, Any] = {
                "checklist": rng.sample(
                    ["hydraulic_oil", "filters", "lubrication", "heaters", "cooling", "safety"], 4
                ),
                "running_hours": rng.randint(8000, 42000),
                "oil_temperature": str(rng.randint(38, 52)),
                "result": result,
                "next_due_date": (planned + datetime.timedelta(days=30)).isoformat(),
                "labour_hours": str(rng.choice([1.5, 2, 2.5, 3])),
            }
            if result != "normal":
                done["findings"] = rng.choice(
                    ["液压油轻微乳化，已换油", "拉杆润滑不足，已补加", "冷却水路结垢，建议下次清洗"]
                )
            start = datetime.datetime.combine(
                planned, datetime.time(8, 0), tzinfo=timezone.get_current_timezone()
            )
            self.lifecycle(plan, category, done, "", travel=(5, 10), work_starts=start)

    def lifecycle(
        self,
        plan: OrderPlan,
        category: str,
        done: dict[str, Any],
        part: str,
        *,
        travel: tuple[float, float],
        cluster: bool = False,
        remote: bool = False,
        region: str = "east",
        work_starts: datetime.datetime | None = None,
    ) -> None:
        """Plan what happens to the order after it is reported."""
        rng = self.rng
        clock = _Clock(plan.created_at, plan.priority == "red", rng)
        steps = plan.steps
        if plan.on_behalf_of or plan.creator.startswith("engineer"):
            engineer = plan.on_behalf_of or plan.creator
        else:
            engineer = self.engineer_for(category, plan.asset)
        # A Tuesday-morning breakdown waits in the queue while the crew is saturated.
        slow = 4.0 if cluster else 1.0
        if rng.random() < 0.03:
            steps.append(
                Step(
                    clock.minutes(5, 40),
                    "transition",
                    "dispatcher",
                    "cancel",
                    comment="重复报修，已合并到前一张工单",
                )
            )
            self.plans.append(plan)
            return
        if plan.creator == engineer or (plan.on_behalf_of == engineer and rng.random() < 0.5):
            # The engineer found the fault himself and takes it straight away.
            steps.append(Step(clock.minutes(1, 5), "transition", engineer, "accept"))
        else:
            steps.append(
                Step(clock.minutes(4 * slow, 35 * slow), "assign", "dispatcher", assignee=engineer)
            )
            if rng.random() < 0.06:
                steps.append(
                    Step(
                        clock.minutes(3, 20),
                        "transition",
                        engineer,
                        "decline",
                        comment=rng.choice(
                            ["手上有停机单未完成，请改派", "今天外出培训，无法处理"]
                        ),
                    )
                )
                engineer = self.other_engineer(engineer, region)
                steps.append(Step(clock.minutes(5, 25), "assign", "dispatcher", assignee=engineer))
            steps.append(Step(clock.minutes(2 * slow, 25 * slow), "transition", engineer, "accept"))
        if work_starts is not None and work_starts > clock.at:
            clock.at = work_starts + datetime.timedelta(minutes=rng.uniform(0, 90))
        if plan.type_key == "after_sales":
            steps.append(
                Step(
                    clock.minutes(10, 60),
                    "comment",
                    engineer,
                    comment=rng.choice(
                        ["已电话联系客户，了解故障情况", "已与客户确认故障现象，准备出发"]
                    ),
                )
            )
        if remote:
            steps.append(
                Step(
                    clock.minutes(30, 120),
                    "transition",
                    engineer,
                    "remote_resolve",
                    data={**done, "remote_diagnosis": "视频指导客户复位参数并清洗滤网，试机正常"},
                )
            )
        else:
            if rng.random() < 0.7 or plan.type_key == "after_sales":
                steps.append(Step(clock.minutes(5, 40), "transition", engineer, "depart"))
            arrive: dict[str, Any] = {}
            if plan.type_key in ("equipment_repair", "after_sales"):
                arrive["arrival_location"] = _arrival_point(rng, region)
            steps.append(
                Step(clock.minutes(*travel), "transition", engineer, "arrive", data=arrive)
            )
            if part and rng.random() < 0.35:
                steps.append(
                    Step(
                        clock.minutes(30, 120),
                        "transition",
                        engineer,
                        "wait_parts",
                        comment=f"需要更换{part}，已提交领料申请",
                    )
                )
                # Stock parts come the same day; imported ones can take a week.
                wait = rng.choice([90, 240, 600, 1500, 4300, 9000])
                steps.append(
                    Step(clock.minutes(wait, wait * 1.3), "transition", engineer, "resume")
                )
            resolve_at = clock.minutes(30 * slow, 200 * slow)
            if rng.random() < 0.08:
                # Finished on paper late in the day; the clerk types it in next morning.
                resolve_at = _working(resolve_at + datetime.timedelta(hours=14), rng)
                clock.at = resolve_at
                steps.append(
                    Step(
                        resolve_at,
                        "transition",
                        "clerk",
                        "resolve",
                        on_behalf_of=engineer,
                        data=done,
                    )
                )
            else:
                steps.append(Step(resolve_at, "transition", engineer, "resolve", data=done))
        # Once it runs again, even a stoppage is signed off in the day shift.
        clock.urgent = False
        closer = plan.requester or ("requester" if plan.creator == "requester" else "dispatcher")
        if rng.random() < 0.05:
            reopener = closer if closer == "requester" else "dispatcher"
            steps.append(
                Step(
                    clock.minutes(60, 600),
                    "transition",
                    reopener,
                    "reopen",
                    comment="同样的故障又出现了，请再看一下",
                )
            )
            if plan.type_key == "after_sales":
                steps.append(Step(clock.minutes(30, 240), "transition", engineer, "arrive"))
            steps.append(
                Step(
                    clock.minutes(60, 240),
                    "transition",
                    engineer,
                    "resolve",
                    data={
                        "fix_action": f"{done.get('fix_action', '')}；复查后重新紧固并试机 2 小时"
                    }
                    if "fix_action" in done
                    else {},
                )
            )
        closer = rng.choice([closer, closer, "clerk"]) if closer == "dispatcher" else closer
        steps.append(Step(clock.minutes(20, 900), "transition", closer, "close"))
        self.plans.append(plan)

    def other_engineer(self, engineer: str, region: str) -> str:
        if region in ("south", "north"):
            # The regional engineer is alone out there: head office sends someone.
            return "engineer3"
        pool = [e for e in ("engineer1", "engineer2", "engineer3", "engineer4") if e != engineer]
        return self.rng.choice(pool)


def _asset_region(code: str | None) -> str:
    for asset in ASSETS:
        if asset[0] == code:
            return asset[3]
    return "east"


# --- loading -------------------------------------------------------------------

_replaying: ContextVar[bool] = ContextVar("gongdan_demo_replaying", default=False)


@contextlib.contextmanager
def replaying() -> Iterator[None]:
    """Replay past events through the services without messaging anyone (see below)."""
    token = _replaying.set(True)
    try:
        yield
    finally:
        _replaying.reset(token)


def replaying_history() -> bool:
    """True while the demo replays past events through the services.

    Receivers that message people or enqueue work for "now" (notifications,
    escalations) can skip the replay: nobody should be paged about last month.
    """
    return _replaying.get()


def demo_loaded() -> bool:
    """Whether the demo history is in the database."""
    return IdempotencyKey.objects.filter(scope=DEMO_SCOPE).exists()


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, name, role label) of the demo accounts that exist."""
    users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in PEOPLE])}
    return [
        (p.username, users[p.username].display_name, users[p.username].get_role_display())
        for p in PEOPLE
        if p.username in users
    ]


@transaction.atomic
def demo_load(
    *,
    weeks: int = 8,
    seed: int = SEED,
    now: datetime.datetime | None = None,
    warn: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Create the demo plant and its history; return the context given to extensions.

    Safe to run again: existing rows are kept as they are and the history is
    only played when no demo order exists yet.
    """
    now = now or timezone.now()
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        log.warning(message)
        if warn:
            warn(message)

    regions = {
        code: Region.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in REGIONS
    }
    teams = {
        code: Team.objects.get_or_create(
            code=code, defaults={"name": name, "region": regions[region]}
        )[0]
        for code, name, region in TEAMS
    }
    skills = {
        code: Skill.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "is_certificate": certificate}
        )[0]
        for code, name, name_en, certificate in SKILLS
    }
    users = _people(regions, teams, skills, now)
    for code, username in (
        ("electrical", "engineer1"),
        ("mechanical", "engineer3"),
        ("mould", "engineer4"),
        ("service_south", "engineer5"),
        ("service_north", "engineer6"),
    ):
        Team.objects.filter(code=code, leader__isnull=True).update(leader=users[username])
    assets = _assets(regions)
    types = {t.key: t for t in WorkOrderType.objects.all()}
    played = 0
    if not demo_loaded():
        with replaying():
            for plan in demo_plan(weeks=weeks, seed=seed, now=now):
                played += _play(plan, users, assets, types, now, note)
    context: dict[str, Any] = {
        "users": users,
        "assets": assets,
        "types": types,
        "regions": regions,
        "teams": teams,
        "skills": skills,
        "password": DEMO_PASSWORD,
        "now": now,
        "seed": seed,
        "orders": WorkOrder.objects.filter(
            pk__in=IdempotencyKey.objects.filter(scope=DEMO_SCOPE).values("order_id")
        ),
        "orders_created": played,
        "warnings": warnings,
    }
    for name, extend in demo_extensions():
        try:
            with transaction.atomic():
                extend(context)
        except Exception as exc:  # one app's broken demo must not sink the others'
            note(f"demo extension {name} failed: {exc!r}")
    return context


def demo_extensions() -> Iterator[tuple[str, Callable[[dict[str, Any]], None]]]:
    """``(app, extend)`` for every installed app with a ``demo`` module defining extend."""
    for config in apps.get_app_configs():
        module_name = f"{config.name}.demo"
        if module_name == __name__ or importlib.util.find_spec(module_name) is None:
            continue
        extend = getattr(importlib.import_module(module_name), "extend", None)
        if callable(extend):
            yield config.name, extend


def _people(
    regions: dict[str, Region],
    teams: dict[str, Team],
    skills: dict[str, Skill],
    now: datetime.datetime,
) -> dict[str, User]:
    existing = {
        u.username: u for u in User.objects.filter(username__in=[p.username for p in PEOPLE])
    }
    # One hash for the shared, documented demo password: hashing it per user
    # would cost a second of PBKDF2 each.
    password = make_password(DEMO_PASSWORD)
    missing = [
        User(
            username=p.username,
            password=password,
            display_name=p.name,
            role=p.role,
            team=teams.get(p.team),
            region=regions.get(p.region),
            phone=p.phone,
            email=f"{p.username}@demo.gongdan.local",
            is_staff=p.role == Role.ADMIN,
            is_superuser=p.role == Role.ADMIN,
            date_joined=now,
        )
        for p in PEOPLE
        if p.username not in existing
    ]
    User.objects.bulk_create(missing)
    users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in PEOPLE])}
    held = set(
        UserSkill.objects.filter(user__in=users.values()).values_list(
            "user__username", "skill__code"
        )
    )
    today = timezone.localdate(now)
    UserSkill.objects.bulk_create(
        [
            UserSkill(
                user=users[p.username],
                skill=skills[code],
                level=level,
                certificate_no=number,
                expires_on=today + datetime.timedelta(days=days) if days is not None else None,
            )
            for p in PEOPLE
            for code, level, number, days in p.skills
            if (p.username, code) not in held
        ]
    )
    return users


def _assets(regions: dict[str, Region]) -> dict[str, Asset]:
    existing = set(
        Asset.objects.filter(code__in=[a[0] for a in ASSETS]).values_list("code", flat=True)
    )
    Asset.objects.bulk_create(
        [
            Asset(
                code=code, name=name, location=location, region=regions[region], customer=customer
            )
            for code, name, location, region, customer in ASSETS
            if code not in existing
        ]
    )
    return {a.code: a for a in Asset.objects.filter(code__in=[a[0] for a in ASSETS])}


def _play(
    plan: OrderPlan,
    users: dict[str, User],
    assets: dict[str, Asset],
    types: dict[str, WorkOrderType],
    now: datetime.datetime,
    note: Callable[[str], None],
) -> int:
    """Create one planned order and replay the steps that have already happened."""
    try:
        order, created = work_order_create(
            actor=users[plan.creator],
            order_type=types[plan.type_key],
            title=plan.title,
            description=plan.description,
            priority=plan.priority,
            asset=assets[plan.asset] if plan.asset else None,
            data=plan.data,
            requester=users[plan.requester] if plan.requester else None,
            on_behalf_of=users[plan.on_behalf_of] if plan.on_behalf_of else None,
            idempotency_key=plan.key,
            idempotency_scope=DEMO_SCOPE,
            created_at=plan.created_at,
        )
    except ServiceError as exc:
        note(f"demo order {plan.key} ({plan.type_key}) not created: {exc.message} {exc.errors}")
        return 0
    if not created:
        return 0
    # Whoever another app's routing picked on creation does the work instead.
    routed = order.assignee.username if order.assignee_id and order.assignee else None
    for step in plan.steps:
        if step.at >= now:
            break
        if routed and step.kind == "assign" and step.assignee != routed:
            step = Step(step.at, step.kind, step.actor, assignee=routed)
        try:
            order = _step(order, step, users)
        except ServiceError as exc:
            note(
                f"demo order {order.number}: {step.kind} {step.action} refused: "
                f"{exc.message} {exc.errors}"
            )
            break
    return 1


def _step(order: WorkOrder, step: Step, users: dict[str, User]) -> WorkOrder:
    actor = users[step.actor] if step.actor else None
    behalf = users[step.on_behalf_of] if step.on_behalf_of else None
    if step.kind == "assign":
        return work_order_assign(
            order=order,
            actor=actor,
            assignee=users[step.assignee] if step.assignee else None,
            at=step.at,
        )
    assert actor is not None
    if step.kind == "comment":
        comment_create(order=order, actor=actor, body=step.comment, on_behalf_of=behalf, at=step.at)
        return order
    # Routing may have given the order to someone other than planned: the assignee acts.
    if order.assignee is not None:
        if actor.role == Role.ENGINEER:
            actor = order.assignee
        if behalf is not None and behalf.role == Role.ENGINEER:
            behalf = order.assignee
    return work_order_transition(
        order=order,
        actor=actor,
        action=step.action,
        version=order.version,
        comment=step.comment,
        data=step.data,
        on_behalf_of=behalf,
        at=step.at,
    )
