"""Shared fixtures: a small, realistic plant and API clients for each role.

The plant: two regions, an electrical and a mechanical team, one user per role,
three engineers with skills and certificates, and a few machines.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.test.client import ClientHandler
from django.utils import timezone, translation

from gongdan.assets.models import Asset
from gongdan.core.cache import clear_all
from gongdan.core.handlers import TokenApiDispatch
from gongdan.core.models import Region, Role, Skill, Team, User, UserSkill
from gongdan.core.services import api_token_create
from gongdan.workorders.models import WorkOrderType

PASSWORD = "gongdan-test-pw"

pytest_plugins = ["tests.browser"]


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("GONGDAN_TEST", "1")


def require_service(name: str, reachable: bool, how: str) -> None:
    """Skip a test whose service is missing — except on CI, where that is a failure."""
    if reachable:
        return
    message = f"{name} is not reachable; start it ({how}) to run this test"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message + " — CI requires it")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request that asks for English leaves English active in its thread; a later
    # test on the same worker that calls a service directly got English messages
    # and failed, depending on how the tests were shared out between workers.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    # A test's rolled-back configuration must not outlive it in the process caches.
    clear_all()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Hashing a dozen fixture passwords with PBKDF2 would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Plant:
    """Handles to the fixture plant's rows, by name."""

    def __init__(self) -> None:
        self.east = Region.objects.create(code="east", name="华东")
        self.south = Region.objects.create(code="south", name="华南")
        self.electrical = Team.objects.create(code="electrical", name="电气组", region=self.east)
        self.mechanical = Team.objects.create(code="mechanical", name="机修组", region=self.south)
        self.hv = Skill.objects.create(code="hv", name="高压电工证", is_certificate=True)
        self.hydraulic = Skill.objects.create(code="hydraulic", name="液压")
        self.admin = self.user("admin", Role.ADMIN, "管理员")
        self.dispatcher = self.user("dispatcher", Role.DISPATCHER, "刘调度")
        self.manager = self.user("manager", Role.MANAGER, "陈经理")
        self.clerk = self.user("clerk", Role.CLERK, "赵文员")
        self.warehouse = self.user("warehouse", Role.WAREHOUSE, "孙库管")
        self.requester = self.user("requester", Role.REQUESTER, "周操作工", region=self.east)
        self.other_requester = self.user("requester2", Role.REQUESTER, "吴操作工")
        self.wang = self.user("wang", Role.ENGINEER, "王工", team=self.electrical, region=self.east)
        self.li = self.user("li", Role.ENGINEER, "李工", team=self.electrical, region=self.east)
        self.zhang = self.user(
            "zhang", Role.ENGINEER, "张工", team=self.mechanical, region=self.south
        )
        today = timezone.localdate()
        UserSkill.objects.create(
            user=self.wang,
            skill=self.hv,
            certificate_no="T3201-0001",
            expires_on=today + datetime.timedelta(days=365),
        )
        UserSkill.objects.create(user=self.zhang, skill=self.hydraulic)
        self.press = Asset.objects.create(
            code="IMM-001", name="注塑机 海天 MA1600", location="一车间 A 线", region=self.east
        )
        self.south_press = Asset.objects.create(
            code="IMM-101", name="注塑机 海天 MA2500", location="二车间", region=self.south
        )
        self.repair = WorkOrderType.objects.get(key="equipment_repair")

    def user(
        self,
        username: str,
        role: str,
        name: str,
        team: Team | None = None,
        region: Region | None = None,
    ) -> User:
        return User.objects.create_user(
            username=username,
            password=PASSWORD,
            role=role,
            display_name=name,
            team=team,
            region=region,
        )


@pytest.fixture
def plant(db: None) -> Plant:
    return Plant()


class _ServerHandler(TokenApiDispatch, ClientHandler):
    """The test client's handler, dispatching as ``gongdan.wsgi.application`` does."""


class ServerClient(Client):
    """Django's test client through the server's own dispatch: a call with an API
    token takes the short middleware chain it takes in production."""

    def __init__(self, **defaults: Any) -> None:
        super().__init__(**defaults)
        self.handler = _ServerHandler(enforce_csrf_checks=False)


class ApiClient:
    """A Bearer-token client for one user, speaking JSON."""

    def __init__(self, user: User | None) -> None:
        self.client = ServerClient()
        self.headers: dict[str, str] = {}
        if user is not None:
            _, raw = api_token_create(user=user, name="test")
            self.headers["Authorization"] = f"Bearer {raw}"

    def _call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else _json(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1/{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self._call("post", path, body if body is not None else {}, **headers)

    def patch(self, path: str, body: Any) -> Any:
        return self._call("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self._call("put", path, body)

    def delete(self, path: str) -> Any:
        return self._call("delete", path)

    def upload(self, path: str, files: dict[str, Any], **fields: str) -> Any:
        return self.client.post(f"/api/v1/{path}", {**files, **fields}, headers=self.headers)


def _json(body: Any) -> str:
    import json

    return json.dumps(body, ensure_ascii=False)


@pytest.fixture
def api(plant: Plant) -> Callable[[User | None], ApiClient]:
    def make(user: User | None) -> ApiClient:
        return ApiClient(user)

    return make


@pytest.fixture
def new_order(plant: Plant) -> Callable[..., Any]:
    """Open an equipment-repair order through the service, as the requester by default."""
    from gongdan.workorders.services import work_order_create

    def make(**overrides: Any) -> Any:
        args: dict[str, Any] = {
            "actor": plant.requester,
            "order_type": plant.repair,
            "title": "注塑机不启动",
            "priority": "yellow",
            "asset": plant.press,
            "data": {"symptom": "no_start"},
        }
        args.update(overrides)
        order, _ = work_order_create(**args)
        return order

    return make


@pytest.fixture
def tiny_png() -> Iterator[bytes]:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(buffer, "PNG")
    yield buffer.getvalue()
