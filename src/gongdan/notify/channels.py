"""Channel adapters: each sends one outbox row or raises DeliveryError.

Every message carries its outbox id (a header, the webhook body, the SMS
OutId), so a receiver that sees a repeat after a worker crash can drop it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from .models import Channel, Notification, SmsConfig

TIMEOUT = 10
OUTBOX_HEADER = "X-Gongdan-Outbox-Id"


class DeliveryError(Exception):
    """The channel refused or could not be reached; the row is retried later."""


def _text(row: Notification) -> str:
    return f"{row.subject}\n{row.body}\n{row.payload.get('url', '')}"


def _post(
    url: str, body: bytes, headers: dict[str, str], content_type: str = "application/json"
) -> bytes:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from {urllib.parse.urlsplit(url).netloc}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"cannot reach {urllib.parse.urlsplit(url).netloc}: {exc}")


def _post_json(url: str, data: dict[str, Any], row: Notification) -> dict[str, Any]:
    raw = _post(url, json.dumps(data, ensure_ascii=False).encode(), {OUTBOX_HEADER: str(row.pk)})
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _check_robot_answer(answer: dict[str, Any]) -> None:
    # WeCom and DingTalk answer {"errcode": 0}; Feishu {"code": 0}.
    code = answer.get("errcode", answer.get("code", 0))
    if code not in (0, "0", None):
        message = answer.get("errmsg") or answer.get("msg") or ""
        raise DeliveryError(f"robot refused the message: {code} {message}")


def send_email(row: Notification) -> None:
    message = EmailMessage(
        subject=row.subject,
        body=f"{row.body}\n\n{row.payload.get('url', '')}\n",
        to=[row.recipient.email],
        headers={OUTBOX_HEADER: str(row.pk)},
        connection=get_connection(timeout=TIMEOUT),
    )
    try:
        message.send()
    except OSError as exc:
        raise DeliveryError(f"SMTP: {exc}")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk: base64(HMAC-SHA256(secret, "<ms>\\n<secret>")), URL-encoded."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu: base64(HMAC-SHA256(key="<s>\\n<secret>", message=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def send_wecom(row: Notification) -> None:
    # WeCom group robots have no signature: the key in the webhook URL is the secret.
    assert row.endpoint is not None
    mentions = [row.recipient.phone] if row.recipient.phone else []
    answer = _post_json(
        row.endpoint.url,
        {"msgtype": "text", "text": {"content": _text(row), "mentioned_mobile_list": mentions}},
        row,
    )
    _check_robot_answer(answer)


def send_dingtalk(row: Notification) -> None:
    assert row.endpoint is not None
    url = row.endpoint.url
    if row.endpoint.secret:
        stamp = int(time.time() * 1000)
        sign = dingtalk_sign(row.endpoint.secret, stamp)
        url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={sign}"
    mobiles = [row.recipient.phone] if row.recipient.phone else []
    answer = _post_json(
        url,
        {"msgtype": "text", "text": {"content": _text(row)}, "at": {"atMobiles": mobiles}},
        row,
    )
    _check_robot_answer(answer)


def send_feishu(row: Notification) -> None:
    assert row.endpoint is not None
    data: dict[str, Any] = {"msg_type": "text", "content": {"text": _text(row)}}
    if row.endpoint.secret:
        stamp = int(time.time())
        data.update(timestamp=str(stamp), sign=feishu_sign(row.endpoint.secret, stamp))
    _check_robot_answer(_post_json(row.endpoint.url, data, row))


def aliyun_percent(value: str) -> str:
    """RFC 3986 encoding as Aliyun's RPC signature wants it."""
    return urllib.parse.quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Aliyun RPC signature v1: HMAC-SHA1 over the sorted, encoded parameters."""
    canonical = "&".join(
        f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{aliyun_percent('/')}&{aliyun_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def send_sms(row: Notification) -> None:
    """An Aliyun-compatible SendSms call against the endpoint's URL."""
    assert row.endpoint is not None
    config = SmsConfig.model_validate(row.endpoint.config)
    params = {
        "AccessKeyId": config.access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": str(row.pk),
        "PhoneNumbers": row.recipient.phone,
        "RegionId": config.region_id,
        "SignName": config.sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "TemplateCode": config.template_code,
        "TemplateParam": json.dumps(
            {"number": row.payload.get("order") or "", "text": row.body[:60]}, ensure_ascii=False
        ),
        "Timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }
    params["Signature"] = aliyun_signature(params, row.endpoint.secret)
    raw = _post(
        row.endpoint.url,
        urllib.parse.urlencode(params).encode(),
        {OUTBOX_HEADER: str(row.pk)},
        content_type="application/x-www-form-urlencoded",
    )
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise DeliveryError("SMS provider answered with something other than JSON")
    if answer.get("Code") != "OK":
        raise DeliveryError(f"SMS provider refused: {answer.get('Code')} {answer.get('Message')}")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """hex HMAC-SHA256 of "<timestamp>.<body>" — the timestamp stops replays."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send_webhook(row: Notification) -> None:
    assert row.endpoint is not None
    body = json.dumps(
        {
            "id": row.pk,
            "template": row.template,
            "recipient": row.recipient.username,
            "order": row.payload.get("order"),
            "subject": row.subject,
            "body": row.body,
            "url": row.payload.get("url"),
            "urgent": bool(row.payload.get("urgent")),
            "created_at": row.created_at.isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    stamp = str(int(time.time()))
    headers = {OUTBOX_HEADER: str(row.pk), "X-Gongdan-Timestamp": stamp}
    if row.endpoint.secret:
        sig = webhook_signature(row.endpoint.secret, stamp, body)
        headers["X-Gongdan-Signature"] = f"sha256={sig}"
    _post(row.endpoint.url, body, headers)


SENDERS: dict[str, Callable[[Notification], None]] = {
    Channel.EMAIL: send_email,
    Channel.WECOM: send_wecom,
    Channel.DINGTALK: send_dingtalk,
    Channel.FEISHU: send_feishu,
    Channel.SMS: send_sms,
    Channel.WEBHOOK: send_webhook,
}


def deliver(row: Notification) -> None:
    sender = SENDERS.get(row.channel)
    if sender is None:
        raise DeliveryError(f"channel {row.channel} cannot be sent")
    sender(row)
