"""Phone-script training (issue 13): scenarios, role plays with the simulated customer,
their scorecards, scoring a pasted transcript, and a trainee's history.

Who may: anyone who trains (trainee, advisor, trainer, manager: api/deps.TrainingUser);
a session is its trainee's, a trainer or manager sees every one (docs/roles.md). The
logic is training/sessions.py."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from api.deps import SessionDep, TrainingCatalog, TrainingUser, get_training_user
from api.schemas import MAX_ID
from training import sessions
from training.sessions import TrainingError

router = APIRouter(prefix="/training", tags=["training"], dependencies=[Depends(get_training_user)],
                   responses={403: {"description": "角色无权进行此操作,或这是他人的练习"}})
SessionId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_LINE = 500  # characters of one line, like a customer's message
MAX_LINES = 400

ERRORS = {
    "not_found": (status.HTTP_404_NOT_FOUND, "没有这个练习"),
    "forbidden": (status.HTTP_403_FORBIDDEN, "您无权查看或操作他人的练习"),
    "finished": (status.HTTP_409_CONFLICT, "这个练习已经结束评分,请重新开始一个练习"),
    "unknown_scenario": (status.HTTP_422_UNPROCESSABLE_ENTITY, "没有这个练习场景"),
    "unknown_user": (status.HTTP_404_NOT_FOUND, "没有这个账号"),
}


def training_error(error: TrainingError) -> HTTPException:
    code, detail = ERRORS[error.reason]
    return HTTPException(code, detail=detail)


class ScenarioPublic(BaseModel):
    id: str
    title: str
    difficulty: int
    difficulty_label: str
    service_type: str
    persona: str


class SessionCreate(BaseModel):
    scenario: str = Field(min_length=1, max_length=40)


class SessionCreated(BaseModel):
    id: int


class TraineeLine(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_LINE)


class CustomerReply(BaseModel):
    customer: str
    done: bool


class StepPublic(BaseModel):
    code: str
    name: str
    done: bool
    turn: int | None
    model_answer: str


class ScorecardPublic(BaseModel):
    score: int
    passed: bool
    pass_mark: int
    order_ok: bool
    missed: list[str]
    steps: list[StepPublic]


class TranscriptLine(BaseModel):
    speaker: Literal["advisor", "customer"]
    text: str = Field(min_length=1, max_length=MAX_LINE)


class Transcript(BaseModel):
    lines: list[TranscriptLine] = Field(min_length=1, max_length=MAX_LINES)


class Attempt(BaseModel):
    id: int
    scenario: str
    title: str
    started_at: datetime
    finished_at: datetime | None
    score: int | None
    passed: bool | None
    order_ok: bool | None


class StepTrend(BaseModel):
    code: str
    name: str
    done: list[bool]  # each finished attempt, oldest first


class History(BaseModel):
    user: str
    attempts: list[Attempt]
    steps: list[StepTrend]


@router.get("/scenarios", response_model=list[ScenarioPublic])
def list_scenarios() -> list[dict]:
    return sessions.scenario_list()


BAD_JSON = {400: {"description": "请求体不是有效的 JSON"}}
SESSION_RESPONSES = {404: {"description": "没有这个练习"}}


@router.post("/sessions", response_model=SessionCreated, status_code=status.HTTP_201_CREATED, responses=BAD_JSON)
def create_session(body: SessionCreate, user: TrainingUser, session: SessionDep) -> SessionCreated:
    """A new role play; the trainee speaks first, as on the phone."""
    try:
        return SessionCreated(id=sessions.start(session, user, body.scenario).id)
    except TrainingError as error:
        raise training_error(error) from None


@router.post("/sessions/{session_id}/messages", response_model=CustomerReply,
             responses={**BAD_JSON, **SESSION_RESPONSES, 409: {"description": "这个练习已经结束评分"}})
def post_message(session_id: SessionId, body: TraineeLine, user: TrainingUser, session: SessionDep,
                 catalog: TrainingCatalog) -> CustomerReply:
    try:
        turn = sessions.speak(session, user, session_id, body.text, catalog)
    except TrainingError as error:
        raise training_error(error) from None
    return CustomerReply(customer=turn.customer, done=turn.done)


@router.post("/sessions/{session_id}/finish", response_model=ScorecardPublic, responses=SESSION_RESPONSES)
def finish_session(session_id: SessionId, user: TrainingUser, session: SessionDep, catalog: TrainingCatalog) -> dict:
    try:
        return sessions.finish(session, user, session_id, catalog)
    except TrainingError as error:
        raise training_error(error) from None


@router.post("/score", response_model=ScorecardPublic, responses=BAD_JSON)
def score_transcript(body: Transcript, catalog: TrainingCatalog) -> dict:
    """The same scorecard for a real call's transcript (nothing is stored)."""
    return sessions.score_transcript([(line.speaker, line.text) for line in body.lines], catalog).as_dict()


@router.get("/history", response_model=History, responses={404: {"description": "没有这个账号"}})
def get_history(user: TrainingUser, session: SessionDep,
                username: Annotated[str | None, Query(alias="user", max_length=60)] = None) -> dict:
    try:
        return sessions.history(session, user, username)
    except TrainingError as error:
        raise training_error(error) from None
