"""Each channel against a real local receiver that checks the signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import urllib.parse

import pytest
from aiosmtpd.controller import Controller

from gongdan.notify.models import Channel, Endpoint, Notification, Status
from gongdan.notify.services import notification_requeue_due, notify
from gongdan.notify.tasks import send_notification

pytestmark = pytest.mark.django_db
SECRET = "SEC-test-secret"


def send(plant, new_order, channel: str, capture) -> Notification:
    order = new_order(title="电机过热")
    with capture(execute=True):
        rows = notify(
            recipient=plant.wang,
            template="order_assigned",
            context={},
            order=order,
            channel=channel,
        )
    row = next(r for r in rows if r.channel == channel)
    row.refresh_from_db()
    return row


def endpoint(kind: str, url: str, **extra) -> Endpoint:
    return Endpoint.objects.create(name=kind, kind=kind, url=url, secret=SECRET, **extra)


def test_dingtalk_robot_message_is_signed(
    plant, new_order, receiver, immediate_tasks, django_capture_on_commit_callbacks
):
    endpoint(Channel.DINGTALK, f"{receiver.url}/dingtalk/robot/send?access_token=t")
    row = send(plant, new_order, Channel.DINGTALK, django_capture_on_commit_callbacks)
    assert row.status == Status.SENT
    [hit] = receiver.hits
    stamp = hit.query["timestamp"]
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert hit.query["sign"] == expected
    assert hit.query["access_token"] == "t"
    assert row.order.number in hit.json()["text"]["content"]


def test_feishu_robot_message_is_signed(
    plant, new_order, receiver, immediate_tasks, django_capture_on_commit_callbacks
):
    endpoint(Channel.FEISHU, f"{receiver.url}/feishu/hook")
    row = send(plant, new_order, Channel.FEISHU, django_capture_on_commit_callbacks)
    assert row.status == Status.SENT
    body = receiver.hits[0].json()
    key = f"{body['timestamp']}\n{SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text"


def test_wecom_robot_mentions_the_engineer(
    plant, new_order, receiver, immediate_tasks, django_capture_on_commit_callbacks
):
    plant.wang.phone = "13900000001"
    plant.wang.save()
    endpoint(Channel.WECOM, f"{receiver.url}/wecom?key=abc")
    row = send(plant, new_order, Channel.WECOM, django_capture_on_commit_callbacks)
    assert row.status == Status.SENT
    assert receiver.hits[0].json()["text"]["mentioned_mobile_list"] == ["13900000001"]


def test_aliyun_compatible_sms_is_signed_and_carries_the_outbox_id(
    plant, new_order, receiver, immediate_tasks, django_capture_on_commit_callbacks
):
    plant.wang.phone = "13900000001"
    plant.wang.save()
    endpoint(
        Channel.SMS,
        f"{receiver.url}/sms",
        config={"access_key_id": "AK1", "sign_name": "工单", "template_code": "SMS_42"},
    )
    row = send(plant, new_order, Channel.SMS, django_capture_on_commit_callbacks)
    assert row.status == Status.SENT
    form = receiver.hits[0].form()
    signature = form.pop("Signature")

    def enc(value: str) -> str:
        return urllib.parse.quote(value, safe="~")

    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(form.items()))
    to_sign = f"POST&%2F&{enc(canonical)}"
    expected = hmac.new(f"{SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    assert signature == base64.b64encode(expected).decode()
    assert form["PhoneNumbers"] == "13900000001"
    assert form["OutId"] == str(row.pk)
    assert json.loads(form["TemplateParam"])["number"] == row.order.number


def test_webhook_is_hmac_signed_json_with_the_outbox_id(
    plant, new_order, receiver, immediate_tasks, django_capture_on_commit_callbacks
):
    endpoint(Channel.WEBHOOK, f"{receiver.url}/hook")
    row = send(plant, new_order, Channel.WEBHOOK, django_capture_on_commit_callbacks)
    hit = receiver.hits[0]
    mac = hmac.new(
        SECRET.encode(), hit.headers["X-Gongdan-Timestamp"].encode() + b"." + hit.body, "sha256"
    )
    assert hit.headers["X-Gongdan-Signature"] == f"sha256={mac.hexdigest()}"
    assert hit.json()["id"] == row.pk
    assert hit.json()["order"] == row.order.number


def test_failed_send_is_retried_with_backoff_and_never_sent_twice(
    plant, new_order, receiver, immediate_tasks, django_capture_on_commit_callbacks
):
    endpoint(Channel.WEBHOOK, f"{receiver.url}/hook")
    receiver.status = 503
    row = send(plant, new_order, Channel.WEBHOOK, django_capture_on_commit_callbacks)
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "503" in row.last_error
    assert row.next_attempt_at > row.created_at
    receiver.status = 200
    # Not yet due: the ticker leaves it alone.
    assert notification_requeue_due(now=row.created_at) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_requeue_due(now=row.next_attempt_at) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    # A stray second task for a sent message does nothing.
    send_notification.enqueue(row.pk)
    assert len(receiver.hits) == 2
    assert Notification.objects.get(pk=row.pk).status == Status.SENT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def test_email_goes_through_a_real_smtp_server(
    plant, new_order, settings, immediate_tasks, django_capture_on_commit_callbacks
):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        plant.wang.email = "wang@plant.test"
        plant.wang.save()
        row = send(plant, new_order, Channel.EMAIL, django_capture_on_commit_callbacks)
    finally:
        controller.stop()
    assert row.status == Status.SENT
    [(to, content)] = sink.messages
    assert to == ["wang@plant.test"]
    assert f"X-Gongdan-Outbox-Id: {row.pk}".encode() in content
