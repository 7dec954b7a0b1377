"""Writes of the reports app: claiming and sending the weekly report."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from gongdan.core.models import Role, User

from .models import DispatchStatus, WeeklyReportDispatch
from .pdf import previous_week, weekly_report_pdf
from .selectors import Period

log = logging.getLogger("gongdan.reports")

# Monday 08:00 site time: the managers' week starts with last week's figures.
SEND_WEEKDAY, SEND_HOUR = 0, 8
# A claim older than this whose send never finished (a worker died) is enqueued again.
STALE_CLAIM = datetime.timedelta(minutes=30)
MAX_ATTEMPTS = 5


def _enqueue(week: str) -> None:
    from .tasks import send_weekly_report

    transaction.on_commit(lambda: send_weekly_report.enqueue(week))


def weekly_report_claim_due(*, now: datetime.datetime | None = None) -> int:
    """From Monday 08:00 on, claim last week's report once and enqueue its sending;
    re-enqueue claims whose worker vanished. Returns how many were enqueued."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    send_at = (local - datetime.timedelta(days=local.weekday() - SEND_WEEKDAY)).replace(
        hour=SEND_HOUR, minute=0, second=0, microsecond=0
    )
    enqueued = 0
    if local >= send_at:
        week = previous_week(now)
        try:
            # The unique week is the claim: of two tickers, one insert fails here.
            with transaction.atomic():
                WeeklyReportDispatch.objects.create(week=week, claimed_at=now)
                _enqueue(week)
            enqueued += 1
        except IntegrityError:
            pass
    stale = WeeklyReportDispatch.objects.filter(
        status=DispatchStatus.QUEUED, claimed_at__lt=now - STALE_CLAIM
    )
    for dispatch in stale:
        with transaction.atomic():
            claimed = WeeklyReportDispatch.objects.filter(
                pk=dispatch.pk, status=DispatchStatus.QUEUED, claimed_at=dispatch.claimed_at
            ).update(claimed_at=now)
            if claimed:
                _enqueue(dispatch.week)
                enqueued += 1
    return enqueued


def _recipients() -> list[User]:
    return list(
        User.objects.filter(role=Role.MANAGER, is_active=True).exclude(email="").order_by("pk")
    )


def weekly_report_send(
    *, week: str, force: bool = False, now: datetime.datetime | None = None
) -> WeeklyReportDispatch:
    """E-mail the week's PDF to every active manager and mark the week sent.

    A week already sent is not sent again unless ``force`` (the command line's
    ``--send``). The mail goes out outside any transaction — a slow mail server
    must not hold the database — and the row is marked afterwards, so a crash
    in between sends again rather than never.
    """
    Period.iso_week(week)  # raises ValueError on a malformed week
    dispatch, _created = WeeklyReportDispatch.objects.get_or_create(week=week)
    if dispatch.status == DispatchStatus.SENT and not force:
        return dispatch
    managers = _recipients()
    try:
        pdf = weekly_report_pdf(week, now=now)
        link = settings.PUBLIC_BASE_URL + reverse("reports:weekly-pdf", args=[week])
        for manager in managers:
            with override(manager.language or settings.LANGUAGE_CODE):
                message = EmailMessage(
                    subject=_("服务周报 %(week)s") % {"week": week},
                    body=_("您好，附件是 %(week)s 的服务周报。在线查看：%(link)s")
                    % {"week": week, "link": link},
                    to=[manager.email],
                )
            message.attach(f"weekly-{week}.pdf", pdf, "application/pdf")
            message.send()
        _notify_inbox(managers, week, link)
    except Exception as exc:
        attempts = dispatch.attempts + 1
        WeeklyReportDispatch.objects.filter(pk=dispatch.pk).update(
            attempts=attempts,
            last_error=str(exc)[:2000],
            status=DispatchStatus.FAILED if attempts >= MAX_ATTEMPTS else DispatchStatus.QUEUED,
        )
        log.exception("weekly report %s failed", week)
        raise
    WeeklyReportDispatch.objects.filter(pk=dispatch.pk).update(
        status=DispatchStatus.SENT,
        sent_at=timezone.now(),
        attempts=dispatch.attempts + 1,
        recipients=[m.email for m in managers],
        last_error="",
    )
    dispatch.refresh_from_db()
    return dispatch


def _notify_inbox(managers: list[User], week: str, link: str) -> None:
    """A note in each manager's in-app inbox, where the notifications app exists."""
    try:
        from gongdan.notify.services import notify
    except ImportError:
        return
    for manager in managers:
        with transaction.atomic():
            notify(
                recipient=manager,
                template="reports.weekly",
                context={"week": week, "url": link},
                channel="inbox",
            )
