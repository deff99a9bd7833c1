"""The call list (提醒电话 / 回访电话, issue 12): the reminder calls of web chat and REST
customers and the 回访 calls, due by the chosen day; each call's page has the full phone,
the script line to read (dealer/booking_script.yml ``reminders.calls``) and the result to
log; a complaint found at a 回访 waits for the service manager's call-back."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import SessionDep, Tenancy
from api.pages.drafts import PageNotFound
from api.pages.session import FormPost, PageForbidden, PageScope, PageUser
from api.pages.templating import FormDay, PageDay, templates
from api.schemas import MAX_ID
from dealer import clock
from dealer.catalog import Catalog
from dealer.models import FollowupTask, StaffUser
from dealer.reminder_script import load_reminder_script
from dealer.roles import is_manager
from dealer.script import load_script
from dealer.services import followups
from dealer.tasks import TaskKind
from dealer.timefmt import format_slot

router = APIRouter()
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
CALL_NOT_FOUND = "未找到这个电话任务"
MANAGER_ONLY = "只有服务经理可以关闭投诉"
# Why a result was not logged.
REFUSALS = {
    "result": "请选择通话结果",
    "note": "备注过长或含有不可见字符",
    "satisfied": "请从选项中选择满意度",
    "fixed": "请从选项中选择问题是否解决",
    "explained": "请从选项中选择是否解释了项目和费用",
    "comment": "客户意见过长或含有不可见字符",
}


def _today(catalog: Catalog) -> date:
    return clock.now(catalog.timezone).date()


def script_line(task: FollowupTask, catalog: Catalog) -> str:
    """The words the advisor reads, filled in for this customer."""
    draft = task.draft
    call = load_reminder_script().calls[task.kind]
    try:
        service = catalog.service_type(draft.service_type).name
    except KeyError:
        service = draft.service_type
    delivered = task.created_at if task.kind == TaskKind.followup else None
    return call.script.format(
        name=draft.customer_name or "机主",
        dealer=catalog.short_name,
        advisor=draft.advisor.name if draft.advisor else "",
        appointment=format_slot(draft.start_at, catalog.timezone),
        service=service,
        delivered=f"{delivered.astimezone(catalog.timezone):%-m月%-d日}" if delivered else "",
    )


def _logged_notice(session: Session, task_id: int | None, scope: Tenancy) -> str | None:
    """After a call was logged: what was logged and what comes next (from the script)."""
    if task_id is None:
        return None
    task = session.get(FollowupTask, task_id)
    if task is None or task.channel != "call" or task.draft_id is None or not scope.sees(task.dealer_id):
        return None
    call = load_reminder_script().calls[task.kind]
    if task.complaint and task.resolved_at is None:
        return f"已记录:{call.result('answered').label}。下一步:{call.complaint_next}"
    code = task.result or task.last_error or ""
    try:
        outcome = call.result(code)
    except KeyError:
        return None
    return f"已记录:{outcome.label}。下一步:{outcome.next}"


def _list_page(request: Request, user: StaffUser, session: Session, scope: Tenancy, day: date, *,
               error: str | None = None, status_code: int = status.HTTP_200_OK) -> Response:
    catalog = scope.catalog()  # one dealer's list: the account's own, or a group manager's choice
    now = clock.now(catalog.timezone)
    logged = request.query_params.get("logged", "")
    return templates().TemplateResponse(
        request,
        "advisor/calls.html",
        {
            "user": user, "catalog": catalog, "tenancy": scope, "day": day, "today": now.date(),
            "calls": followups.call_list(session, day, catalog, now),
            "scripts": load_reminder_script().calls,
            "service_names": {s.code: s.name for s in catalog.service_types},
            "is_manager": is_manager(user.role),
            "error": error,
            "notice": _logged_notice(session, int(logged), scope) if logged.isdigit() and len(logged) < 12 else None,
        },
        status_code=status_code,
    )


@router.get("/calls", response_class=HTMLResponse)
def call_list(request: Request, user: PageUser, session: SessionDep, scope: PageScope,
              day: PageDay = None) -> Response:
    return _list_page(request, user, session, scope, day or _today(scope.catalog()))


def _call(session: Session, task_id: int, scope: Tenancy) -> FollowupTask:
    """The call if it is one of the account's dealers' (issue 14); not found alike otherwise."""
    try:
        task = followups.get_call(session, task_id)
    except followups.TaskNotFound:
        raise PageNotFound(CALL_NOT_FOUND) from None
    if not scope.sees(task.dealer_id):
        raise PageNotFound(CALL_NOT_FOUND)
    return task


def _call_page(request: Request, user: StaffUser, session: Session, catalog: Catalog, task: FollowupTask, *,
               error: str | None = None, status_code: int = status.HTTP_200_OK) -> Response:
    documents = load_script().documents(task.draft.first_visit)
    return templates().TemplateResponse(
        request,
        "advisor/call.html",
        {
            "user": user, "catalog": catalog, "task": task, "draft": task.draft,
            "call": load_reminder_script().calls[task.kind], "line": script_line(task, catalog),
            "documents": "、".join(documents),
            "day": task.run_at.astimezone(catalog.timezone).date(),
            "service_names": {s.code: s.name for s in catalog.service_types},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/calls/{task_id}", response_class=HTMLResponse)
def call_page(request: Request, task_id: TaskId, user: PageUser, session: SessionDep, scope: PageScope) -> Response:
    """One call: the full phone number (the list shows it masked), the script, the result form."""
    task = _call(session, task_id, scope)
    return _call_page(request, user, session, scope.catalog(task.dealer_id), task)


Text = Annotated[str | None, Form(max_length=2000)]


@router.post("/calls/{task_id}", response_class=HTMLResponse, dependencies=[FormPost])
def log_call(
    request: Request, task_id: TaskId, user: PageUser, session: SessionDep, scope: PageScope,
    result: Annotated[str | None, Form(max_length=20)] = None,
    note: Text = None, satisfied: Text = None, fixed: Text = None, explained: Text = None, comment: Text = None,
    complaint: Annotated[str | None, Form(max_length=10)] = None,
    day: FormDay = None,
) -> Response:
    task = _call(session, task_id, scope)
    catalog = scope.catalog(task.dealer_id)
    now = clock.now(catalog.timezone)
    answers = {"satisfied": satisfied, "fixed": fixed, "explained": explained, "comment": comment}
    try:
        followups.log_call(session, task.id, result or "", user.username, now, catalog, answers=answers, note=note,
                           complaint=complaint == "on")
    except followups.TaskClosed:
        return _call_page(request, user, session, catalog, task, error="这个电话已经记录过结果",
                          status_code=status.HTTP_409_CONFLICT)
    except followups.BadResult as bad:  # refused before anything was written
        return _call_page(request, user, session, catalog, task, error=REFUSALS.get(str(bad), "输入有误"),
                          status_code=status.HTTP_400_BAD_REQUEST)
    back = (day or now.date()).isoformat()
    return RedirectResponse(f"/advisor/calls?date={back}&logged={task.id}", status.HTTP_303_SEE_OTHER)


@router.post("/calls/{complaint_id}/resolve", response_class=HTMLResponse, dependencies=[FormPost])
def resolve_complaint(
    request: Request, complaint_id: TaskId, user: PageUser, session: SessionDep, scope: PageScope,
    note: Text = None, day: FormDay = None,
) -> Response:
    """The service manager called the unhappy customer back: the complaint is closed."""
    if not is_manager(user.role):
        raise PageForbidden(MANAGER_ONLY)
    catalog = scope.catalog(_call(session, complaint_id, scope).dealer_id)
    now = clock.now(catalog.timezone)
    day = day or now.date()
    try:
        followups.resolve_complaint(session, complaint_id, user.username, note, now)
    except followups.TaskClosed:
        return _list_page(request, user, session, scope, day, error="这条投诉已经处理过了",
                          status_code=status.HTTP_409_CONFLICT)
    except followups.BadResult:
        return _list_page(request, user, session, scope, day, error="请填写回电处理结果",
                          status_code=status.HTTP_400_BAD_REQUEST)
    return RedirectResponse(f"/advisor/calls?date={day.isoformat()}", status.HTTP_303_SEE_OTHER)

