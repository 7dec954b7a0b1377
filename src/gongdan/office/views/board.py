"""The dispatcher board, the order list, saved views and assignment from a card."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gongdan.core.errors import ServiceError
from gongdan.core.models import User, request_user
from gongdan.workorders import permissions
from gongdan.workorders.models import Priority, WorkOrder
from gongdan.workorders.services import work_order_assign

from .. import selectors, services
from ..models import ViewKind
from .common import page_or_fragment

PAGE_SIZE = 50
LIST_COLUMNS = (
    ("number", gettext_lazy("工单号")),
    ("priority", gettext_lazy("优先级")),
    ("created", gettext_lazy("创建时间")),
    ("updated", gettext_lazy("更新时间")),
    ("due", gettext_lazy("解决期限")),
)


def _filter_context(request: HttpRequest, user: User, kind: str) -> dict[str, object]:
    return {
        "filters": selectors.active_filters(request.GET),
        "options": selectors.filter_options(),
        "priorities": Priority.choices,
        "saved_views": selectors.saved_views(user=user, kind=kind),
        "view_kind": kind,
        "query": request.GET.urlencode(),
    }


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Open and just-resolved orders in columns by state category, red first.

    The page polls itself for the columns fragment with the same query string,
    so a filtered board stays filtered as it refreshes."""
    user = request_user(request)
    columns, truncated = selectors.board_columns(
        user=user, filters=selectors.order_filter_from(request.GET)
    )
    context = {
        "columns": columns,
        "truncated": truncated,
        "limit": selectors.BOARD_LIMIT,
        "can_assign": permissions.can_assign(user),
        "total": sum(len(c.orders) for c in columns),
        **_filter_context(request, user, ViewKind.BOARD),
    }
    return page_or_fragment(request, "office/board.html", "office/partials/columns.html", context)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """Every visible order, filtered, sortable by column and paged."""
    user = request_user(request)
    sort = request.GET.get("sort") or ""
    orders = selectors.order_list(
        user=user, filters=selectors.order_filter_from(request.GET), sort=sort
    )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    columns = []
    for key, label in LIST_COLUMNS:
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        columns.append(
            {
                "label": label,
                "sort": f"-{key}" if current and not descending else key,
                "arrow": ("↓" if descending else "↑") if current else "",
            }
        )
    context = {
        "page": page,
        "columns": columns,
        "sort": sort,
        "category": request.GET.get("category", ""),
        **_filter_context(request, user, ViewKind.LIST),
    }
    return page_or_fragment(request, "office/list.html", "office/partials/list_table.html", context)


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    kind = request.POST.get("kind", ViewKind.BOARD)
    target = reverse("office:list" if kind == ViewKind.LIST else "office:board")
    try:
        view = services.saved_view_create(
            user=user,
            name=request.POST.get("name", ""),
            kind=kind,
            query=request.POST.get("query", ""),
        )
    except ServiceError:
        return redirect(_back(request, target))
    return redirect(f"{target}?{view.query}" if view.query else target)


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.saved_view_delete(user=request_user(request), view_id=pk)
    return redirect(_back(request, reverse("office:board")))


def _visible_order(user: User, number: str) -> WorkOrder:
    order = WorkOrder.objects.visible_to(user).with_related().filter(number=number).first()
    if order is None:
        raise Http404
    return order


@login_required
def order_assign(request: HttpRequest, number: str) -> HttpResponse:
    """Assign or reassign from a board card: GET draws the picker into the card,
    POST assigns through the service and redraws the card."""
    user = request_user(request)
    if not permissions.can_assign(user):
        raise PermissionDenied
    order = _visible_order(user, number)
    error = ""
    if request.method == "POST":
        username = request.POST.get("assignee", "")
        assignee = User.objects.filter(username=username).first() if username else None
        try:
            order = work_order_assign(
                order=order,
                actor=user,
                assignee=assignee,
                version=int(request.POST.get("version") or order.version),
            )
            order = _visible_order(user, number)
            if not getattr(request, "htmx", False):
                return redirect(_back(request, reverse("office:board")))
            return render(
                request, "office/partials/card.html", {"order": order, "can_assign": True}
            )
        except (ServiceError, ValueError) as exc:
            error = getattr(exc, "message", str(exc))
    context = {
        "order": order,
        "engineers": selectors.engineers_for_assignment(order),
        "error": error,
        "can_assign": True,
    }
    return render(request, "office/partials/assign.html", context)
