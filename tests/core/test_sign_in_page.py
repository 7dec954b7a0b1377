from __future__ import annotations

import pytest

from tests.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_dispatcher_signs_in_on_a_phone_and_sees_their_name(live_plant, phone):
    sign_in(phone, "dispatcher")
    assert "刘调度" in phone.content()
    screenshot(phone, "home-phone")


def test_wrong_password_says_so(live_plant, page):
    sign_in(page, "dispatcher", "wrong")
    assert "用户名或密码不正确" in page.content()
