"""回访满意度 (CSI, issue 12), the service manager's page: per advisor and per ISO week, the
回访 due, answered (response rate), the average satisfaction score and the open complaints
(dealer/services/csi.py), for the chosen week and the weeks before it; the same as CSV."""
from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.pages.session import PageForbidden, PageScope, PageUser
from api.pages.templating import templates
from dealer import clock
from dealer.catalog import Catalog
from dealer.models import StaffUser
from dealer.roles import is_manager
from dealer.services import csi
from dealer.services.csi import CsiLine, IsoWeek

router = APIRouter()
WEEKS_SHOWN = 4  # the chosen week and the three before it
MANAGER_ONLY = "只有服务经理可以查看回访满意度"
BAD_WEEK = "周的格式不正确,请用周选择器选择(例如 2026-W49)"
UNASSIGNED = "未分配"
TOTAL = "合计"
WeekText = Annotated[str | None, Query(alias="week", max_length=20)]


def _manager(user: StaffUser) -> None:
    if not is_manager(user.role):
        raise PageForbidden(MANAGER_ONLY)


def _week(text: str | None, catalog: Catalog) -> IsoWeek | None:
    """The chosen week (default this week); None when the text is no week."""
    if not text or not text.strip():
        return IsoWeek.of(clock.now(catalog.timezone).date())
    try:
        return IsoWeek.parse(text)
    except ValueError:
        return None


def _weeks(last: IsoWeek) -> list[IsoWeek]:
    """Newest first."""
    return [last.shift(-back) for back in range(WEEKS_SHOWN)]


def _by_week(lines: list[CsiLine], weeks: list[IsoWeek]) -> list[tuple[IsoWeek, list[CsiLine], CsiLine]]:
    return [(week, [line for line in lines if line.week == week], csi.total(lines, week)) for week in weeks]


def _report(session, catalog: Catalog, last: IsoWeek):
    weeks = _weeks(last)
    return _by_week(csi.report(session, weeks[-1], WEEKS_SHOWN, catalog), weeks)


@router.get("/csi", response_class=HTMLResponse)
def csi_page(request: Request, user: PageUser, session: SessionDep, scope: PageScope,
             week: WeekText = None) -> Response:
    """One dealer's figures (issue 14): the account's own, or a group manager's choice."""
    _manager(user)
    catalog = scope.catalog()
    chosen = _week(week, catalog)
    error = None
    if chosen is None:
        error, chosen = BAD_WEEK, IsoWeek.of(clock.now(catalog.timezone).date())
    return templates().TemplateResponse(
        request,
        "advisor/csi.html",
        {"user": user, "catalog": catalog, "tenancy": scope, "week": chosen, "weeks": _report(session, catalog, chosen),
         "error": error, "unassigned": UNASSIGNED, "total": TOTAL, "percent": _percent, "average": _average},
        status_code=status.HTTP_400_BAD_REQUEST if error else status.HTTP_200_OK,
    )


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _average(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_rows(weeks) -> list[list[str]]:
    rows = [["周", "周一", "服务顾问", "应回访", "已回访", "回访率", "平均满意度(1-5)", "评分数", "未结投诉", "投诉任务"]]
    for week, lines, whole in weeks:
        for line in [*lines, whole]:
            name = TOTAL if line is whole else (line.advisor or UNASSIGNED)
            rows.append([str(week), week.monday.isoformat(), name, str(line.due), str(line.answered),
                         _percent(line.response_rate), _average(line.average_score), str(len(line.scores)),
                         str(len(line.open_complaints)), " ".join(str(c.task_id) for c in line.open_complaints)])
    return rows


@router.get("/csi.csv")
def csi_csv(user: PageUser, session: SessionDep, scope: PageScope, week: WeekText = None) -> Response:
    """The same figures as the page, UTF-8 with a BOM so that Excel reads the Chinese."""
    _manager(user)
    catalog = scope.catalog()
    chosen = _week(week, catalog)
    if chosen is None:
        return Response(BAD_WEEK, status.HTTP_400_BAD_REQUEST, media_type="text/plain; charset=utf-8")
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(csv_rows(_report(session, catalog, chosen)))
    return Response(
        "\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="csi-{chosen}.csv"'},
    )
