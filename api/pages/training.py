"""Phone-script training pages (issue 13), under the advisor workspace: pick a scenario,
the role play as a chat (a plain form post per line), the scorecard with the script's
model lines, the trainee's history, a trainer's team view and the printable script sheet
(话术), all from the same data as the API (training/)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SessionDep, SettingsDep, tenancy_for
from dealer.catalog import Catalog
from api.pages.drafts import PageNotFound
from api.pages.session import FormPost, PageForbidden, signed_in
from api.pages.templating import templates
from api.schemas import MAX_ID
from dealer.models import StaffUser
from dealer.roles import sees_all_training, trains
from training import sessions
from training.scenarios import load_scenarios, scenario
from training.sessions import TrainingError
from training.steps import load_training_script

router = APIRouter(prefix="/training")
HOME = "/advisor/training"
SessionId = Annotated[int, Path(ge=1, le=MAX_ID)]
REFUSED = {
    "not_found": "未找到这个练习",
    "forbidden": "您无权查看或操作他人的练习",
    "finished": "这个练习已经评分,请重新开始一个练习",
    "unknown_scenario": "没有这个练习场景",
    "unknown_user": "没有这个账号",
}


def training_page_user(request: Request, settings: SettingsDep, session: SessionDep) -> StaffUser:
    return signed_in(request, settings, session, trains, "您的账号角色无权参加话术练习")


TrainingPageUser = Annotated[StaffUser, Depends(training_page_user)]


def training_page_catalog(user: TrainingPageUser, session: SessionDep, settings: SettingsDep) -> Catalog:
    """Issue 14: the trainee's own dealer's catalogue (its name and advisors in the lines)."""
    return tenancy_for(session, settings, user).catalog(user.dealer_id)


CatalogDep = Annotated[Catalog, Depends(training_page_catalog)]


def _refused(error: TrainingError) -> Exception:
    if error.reason in ("not_found", "unknown_user"):
        return PageNotFound(REFUSED[error.reason])
    return PageForbidden(REFUSED[error.reason])


def _render(request: Request, name: str, user: StaffUser, catalog, **context) -> Response:
    return templates().TemplateResponse(request, f"advisor/training/{name}", {
        "catalog": catalog, "user": user, "active": "training",
        "trainer": sees_all_training(user.role), **context,
    })


@router.get("", response_class=HTMLResponse)
def scenarios_page(request: Request, user: TrainingPageUser, catalog: CatalogDep) -> Response:
    return _render(request, "index.html", user, catalog, scenarios=load_scenarios())


@router.post("/sessions", dependencies=[FormPost])
def start_page(user: TrainingPageUser, session: SessionDep,
               scenario_id: Annotated[str, Form(alias="scenario", max_length=40)]) -> Response:
    try:
        row = sessions.start(session, user, scenario_id)
    except TrainingError as error:
        raise _refused(error) from None
    return RedirectResponse(f"{HOME}/sessions/{row.id}", status.HTTP_303_SEE_OTHER)


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(request: Request, session_id: SessionId, user: TrainingPageUser, session: SessionDep,
                 catalog: CatalogDep) -> Response:
    try:
        row = sessions.get(session, user, session_id)
    except TrainingError as error:
        raise _refused(error) from None
    return _render(request, "session.html", user, catalog, row=row, card=scenario(row.scenario),
                   own=row.user_id == user.id)


@router.post("/sessions/{session_id}/messages", dependencies=[FormPost])
def speak_page(session_id: SessionId, user: TrainingPageUser, session: SessionDep, catalog: CatalogDep,
               text: Annotated[str, Form(min_length=1, max_length=500)]) -> Response:
    try:
        sessions.speak(session, user, session_id, text.strip() or text, catalog)
    except TrainingError as error:
        raise _refused(error) from None
    return RedirectResponse(f"{HOME}/sessions/{session_id}#say", status.HTTP_303_SEE_OTHER)


@router.post("/sessions/{session_id}/finish", dependencies=[FormPost])
def finish_page(session_id: SessionId, user: TrainingPageUser, session: SessionDep, catalog: CatalogDep) -> Response:
    try:
        sessions.finish(session, user, session_id, catalog)
    except TrainingError as error:
        raise _refused(error) from None
    return RedirectResponse(f"{HOME}/sessions/{session_id}", status.HTTP_303_SEE_OTHER)


@router.get("/history", response_class=HTMLResponse)
def history_page(request: Request, user: TrainingPageUser, session: SessionDep, catalog: CatalogDep,
                 username: Annotated[str | None, Query(alias="user", max_length=60)] = None) -> Response:
    try:
        history = sessions.history(session, user, username)
    except TrainingError as error:
        raise _refused(error) from None
    return _render(request, "history.html", user, catalog, history=history)


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, user: TrainingPageUser, session: SessionDep, catalog: CatalogDep) -> Response:
    try:
        team = sessions.team(session, user)
    except TrainingError:
        raise PageForbidden("只有培训师和服务经理可以查看团队情况") from None
    return _render(request, "team.html", user, catalog, team=team)


# How a pasted line says who spoke (顾问: / 客户:); a line without one is the advisor's.
SPEAKERS = {"顾问": "advisor", "客户": "customer"}


def parse_pasted(text: str) -> list[tuple[str, str]]:
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        speaker = "advisor"
        for label, who in SPEAKERS.items():
            if line.startswith(label) and line[len(label):len(label) + 1] in (":", "："):
                speaker, line = who, line[len(label) + 1:].strip()
        if line:
            lines.append((speaker, line))
    return lines


@router.get("/score", response_class=HTMLResponse)
def score_form(request: Request, user: TrainingPageUser, catalog: CatalogDep) -> Response:
    return _render(request, "score.html", user, catalog, sc=None, transcript="")


@router.post("/score", response_class=HTMLResponse, dependencies=[FormPost])
def score_pasted(request: Request, user: TrainingPageUser, catalog: CatalogDep,
                 transcript: Annotated[str, Form(min_length=1, max_length=20000)]) -> Response:
    """A real call's transcript scored like a role play; nothing is stored."""
    lines = parse_pasted(transcript)
    scorecard = sessions.score_transcript(lines, catalog).as_dict() if lines else None
    return _render(request, "score.html", user, catalog, sc=scorecard, transcript=transcript)


@router.get("/script", response_class=HTMLResponse)
def script_sheet(request: Request, user: TrainingPageUser, catalog: CatalogDep) -> Response:
    """The 话术 sheet for the classroom: every step and its model line, from the script."""
    return _render(request, "script.html", user, catalog, rows=sheet_rows(catalog))


def sheet_rows(catalog) -> list[dict]:
    """Each step, when it applies (condition) and its model lines (the price by quote kind)."""
    script = load_training_script()
    quoted = {service.quote: service.code for service in catalog.service_types if service.quote != "none"}
    rows = []
    for step in script.steps:
        services = list(quoted.values()) if step.code == "quote" else [None]
        lines = list(dict.fromkeys(script.model_line(step.code, catalog, service_type=code) for code in services))
        flag = step.script_step.service_flag if step.script_step else None
        returning = bool(step.script_step and step.script_step.returning_customer_only)
        condition = "danger" if step.danger_only else flag or ("returning" if returning else None)
        rows.append({"step": step, "lines": lines, "condition": condition})
    return rows
