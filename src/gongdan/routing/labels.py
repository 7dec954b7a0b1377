"""Words for the codes a routing decision records (why the winner won, why someone
was out), as the timeline and the rule test page show them."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

WHY = {
    "least_loaded": gettext_lazy("负荷最低"),
    "nearest": gettext_lazy("距离最近"),
    "nearest_unknown_positions_least_loaded": gettext_lazy("位置未知，按负荷最低"),
    "round_robin": gettext_lazy("轮流派单"),
    "named": gettext_lazy("指定人员"),
    "no_candidate": gettext_lazy("没有符合条件的人"),
    "no_rule_matched": gettext_lazy("没有匹配的规则"),
    "condition_not_met": gettext_lazy("条件不满足"),
}

EXCLUDED = {
    "declined_or_timed_out": gettext_lazy("已拒单或超时未接"),
    "not_named": gettext_lazy("非指定人员"),
    "missing_or_expired": gettext_lazy("缺少或过期的证书"),
    "other_region": gettext_lazy("其他区域"),
    "other_team": gettext_lazy("其他班组"),
    "off_shift": gettext_lazy("不在班"),
}


def why_label(code: str) -> str:
    """A code nobody labelled (a newer version's) shows as itself."""
    return str(WHY.get(code, code))


def excluded_label(reason: str) -> str:
    """ "missing_or_expired:hv,lv" → "缺少或过期的证书：hv, lv"."""
    code, _sep, detail = reason.partition(":")
    label = str(EXCLUDED.get(code, code))
    if detail:
        return _("%(label)s：%(detail)s") % {"label": label, "detail": detail.replace(",", ", ")}
    return label
