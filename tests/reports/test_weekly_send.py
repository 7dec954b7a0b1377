"""Monday 08:00: the ticker claims last week's report once and the managers get the PDF."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from gongdan.reports.models import DispatchStatus, WeeklyReportDispatch
from gongdan.reports.services import weekly_report_claim_due, weekly_report_send
from tests.reports.conftest import History, at


class Sink:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[Sink]:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    yield sink
    controller.stop()


@pytest.fixture
def managers(history: History) -> History:
    history.plant.manager.email = "chen@example.com"
    history.plant.manager.save()
    return history


def test_nothing_is_claimed_before_monday_eight(managers: History, smtp_sink: Sink) -> None:
    assert weekly_report_claim_due(now=at(13, 7, 59)) == 0
    assert not WeeklyReportDispatch.objects.exists()


def test_monday_eight_sends_last_weeks_pdf_to_managers_once(
    managers: History, smtp_sink: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert weekly_report_claim_due(now=at(13, 8)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert weekly_report_claim_due(now=at(13, 8, 1)) == 0
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert message["To"] == "chen@example.com"
    assert "2025-W41" in str(
        email.header.make_header(email.header.decode_header(message["Subject"]))
    )
    attachments = [p for p in message.walk() if p.get_filename() == "weekly-2025-W41.pdf"]
    payload = attachments[0].get_payload(decode=True) if attachments else b""
    assert isinstance(payload, bytes) and payload.startswith(b"%PDF")
    dispatch = WeeklyReportDispatch.objects.get(week="2025-W41")
    assert dispatch.status == DispatchStatus.SENT
    assert dispatch.recipients == ["chen@example.com"]


def test_a_claim_whose_worker_vanished_is_sent_later(
    managers: History, smtp_sink: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    # Claimed at 08:00, but the worker died before sending: the row stays queued.
    WeeklyReportDispatch.objects.create(week="2025-W41", claimed_at=at(13, 8))
    with django_capture_on_commit_callbacks(execute=True):
        assert weekly_report_claim_due(now=at(13, 8, 10)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert weekly_report_claim_due(now=at(13, 8, 45)) == 1
    assert len(smtp_sink.messages) == 1
    assert WeeklyReportDispatch.objects.get(week="2025-W41").status == DispatchStatus.SENT


def test_a_sent_week_is_not_sent_twice(managers: History, smtp_sink: Sink) -> None:
    weekly_report_send(week="2025-W41", now=at(13, 8))
    weekly_report_send(week="2025-W41", now=at(13, 9))
    assert len(smtp_sink.messages) == 1
