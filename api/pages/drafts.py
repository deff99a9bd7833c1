"""The drafts inbox and a draft's page: transcript, symptom sheet, corrections, approve/reject."""
from __future__ import annotations

import dataclasses

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.config import ApiSettings
from api.deps import SessionDep, SettingsDep, Tenancy
from api.labels import DRAFT_NOT_FOUND, REVIEW_ERRORS, review_error
from api.pages.session import FormPost, PageNotFound, PageScope, PageUser
from api.pages.templating import Blank, PageDay, templates
from api.routers.drafts import service_changes
from api.schemas import MAX_ID, MAX_OFFSET, DraftStatus, DraftUpdate
from api.transcripts import TranscriptUnavailable, read_transcript
from dealer import clock
from dealer.catalog import Catalog
from dealer.models import DraftWorkOrder, StaffUser
from dealer.services import audit, drafts, permissions, review
from dealer.services.booking_guard import conflicts_of
from dealer.services.drafts import SYMPTOM_FIELDS, DraftFilters, draft_to_contract
from dealer.validation import InvalidValue, normalize_phone

PAGE_SIZE = 50
router = APIRouter()
DraftId = Annotated[int, Path(ge=1, le=MAX_ID)]
NOTICES = {"saved": "已保存修改", "approved": "已批准，预约已登记", "rejected": "已拒绝该草稿"}
TRI_STATE = {"": None, "yes": True, "no": False}
CHECKBOXES = ("urgent", "needs_human")


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def form_values(draft: DraftWorkOrder, catalog: Catalog) -> dict[str, str]:
    """The draft as the edit form shows it: every field as text."""
    symptoms = draft.symptoms or {}
    values = {
        "customer_name": draft.customer_name or "",
        "phone": draft.phone or "",
        "plate": draft.plate or "",
        "vin": draft.vin or "",
        "model": draft.model or "",
        "mileage_km": "" if draft.mileage_km is None else str(draft.mileage_km),
        "service_type": draft.service_type,
        "start": draft.start_at.astimezone(catalog.timezone).strftime("%Y-%m-%dT%H:%M"),
        "advisor": draft.advisor.name if draft.advisor else "",
        "first_visit": _yes_no(draft.first_visit),
        "repeat_repair": _yes_no(draft.repeat_repair),
        "extra_requests": draft.extra_requests or "",
        "last_service": draft.last_service or "",
        "job_description": draft.job_description or "",
        "urgent": "on" if draft.urgent else "",
        "needs_human": "on" if draft.needs_human else "",
    }
    values.update({f"symptoms_{name}": symptoms.get(name) or "" for name in SYMPTOM_FIELDS})
    return values


def _mileage(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise InvalidValue("mileage_km", "implausible")
    return int(text)


def _update_from_form(submitted: dict[str, str], current: dict[str, str], catalog: Catalog) -> dict[str, Any]:
    """Only what the advisor changed, in the Draft's shape (so unchanged legacy values pass)."""
    # A field left out of the form is unchanged; an unticked checkbox is simply not sent.
    changed = {
        k for k in current
        if (k in submitted or k in CHECKBOXES) and submitted.get(k, "") != current[k]
    }
    body: dict[str, Any] = {"customer": {}, "vehicle": {}, "booking": {}, "symptoms": {}}

    def value(name: str) -> str | None:
        return submitted.get(name, "").strip() or None

    for name, (part, key) in {
        "customer_name": ("customer", "name"), "phone": ("customer", "phone"),
        "plate": ("vehicle", "plate"), "vin": ("vehicle", "vin"), "model": ("vehicle", "model"),
        "service_type": ("booking", "service_type"), "advisor": ("booking", "advisor"),
        "start": ("booking", "start"),
    }.items():
        if name in changed:
            body[part][key] = value(name)
    if "mileage_km" in changed:
        body["vehicle"]["mileage_km"] = _mileage(submitted.get("mileage_km", "").strip())
    if "first_visit" in changed:
        body["booking"]["first_visit"] = TRI_STATE.get(submitted.get("first_visit", ""))
    if "repeat_repair" in changed:
        body["repeat_repair"] = TRI_STATE.get(submitted.get("repeat_repair", ""))
    for name in ("extra_requests", "last_service", "job_description"):
        if name in changed:
            body[name] = value(name)
    for name in CHECKBOXES:
        if name in changed:
            body[name] = submitted.get(name) == "on"
    for name in SYMPTOM_FIELDS:
        if f"symptoms_{name}" in changed:
            body["symptoms"][name] = value(f"symptoms_{name}")
    return {k: v for k, v in body.items() if v != {}}


def _inbox_filters(status_: str | None, flag: str | None, day: date | None, q: str | None) -> DraftFilters:
    phone = plate = None
    if q:
        try:
            phone = normalize_phone(q)
        except InvalidValue:
            plate = q
    return DraftFilters(
        status=status_ or None,
        phone=phone,
        plate=plate,
        day=day,
        urgent=True if flag == "urgent" else None,
        needs_human=True if flag == "needs_human" else None,
    )


@router.get("", response_class=HTMLResponse)
def inbox(
    request: Request,
    user: PageUser,
    session: SessionDep,
    scope: PageScope,
    status_: Annotated[DraftStatus | None, Blank, Query(alias="status")] = "draft",
    flag: Annotated[str | None, Query(pattern="^(urgent|needs_human)?$")] = None,
    day: PageDay = None,
    q: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_OFFSET // PAGE_SIZE)] = 1,
) -> Response:
    catalog = scope.catalog()
    filters = dataclasses.replace(_inbox_filters(status_, flag, day, q), dealer_ids=scope.selected)
    rows, total = drafts.list_drafts(session, filters, catalog.timezone, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return templates().TemplateResponse(
        request,
        "advisor/inbox.html",
        {
            "user": user, "catalog": catalog, "tenancy": scope, "drafts": rows, "total": total, "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "filters": {"status": status_ or "", "flag": flag or "", "date": day.isoformat() if day else "", "q": q or "",
                        "dealer": scope.selected_code or ""},
            "service_names": {s.code: s.name for s in catalog.service_types},
        },
    )


def _draft_page(
    request: Request, user: StaffUser, session: Session, catalog: Catalog, settings: ApiSettings,
    draft: DraftWorkOrder, *, error: str | None = None, values: dict[str, str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    try:
        transcript, transcript_error = read_transcript(settings.tracker_store_url, draft.conversation_id), None
    except TranscriptUnavailable:
        transcript, transcript_error = [], "对话记录暂时无法读取"
    return templates().TemplateResponse(
        request,
        "advisor/draft.html",
        {
            "user": user, "catalog": catalog, "draft": draft,
            "values": values or form_values(draft, catalog),
            "transcript": transcript, "transcript_error": transcript_error,
            "history": audit.history(session, "draft_work_order", draft.id),
            "advisors": [a.name for a in catalog.advisors],
            "symptom_fields": SYMPTOM_FIELDS,
            "further_interviews": (draft_to_contract(draft, catalog.timezone)["symptoms"] or {}).get("further_interviews", []),
            "conflicts": conflicts_of(draft),
            "error": error, "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
        status_code=status_code,
    )


def _load(session: SessionDep, draft_id: int, scope: Tenancy) -> DraftWorkOrder:
    """The draft if it is one of the account's dealers' (issue 14); not found alike otherwise."""
    draft = drafts.get_draft(session, draft_id)
    if draft is None or not scope.sees(draft.dealer_id):
        raise PageNotFound(DRAFT_NOT_FOUND)
    return draft


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(
    request: Request, draft_id: DraftId, user: PageUser, session: SessionDep, scope: PageScope, settings: SettingsDep
) -> Response:
    draft = _load(session, draft_id, scope)
    return _draft_page(request, user, session, scope.catalog(draft.dealer_id), settings, draft)


def _back_to(draft_id: int, notice: str) -> Response:
    return RedirectResponse(f"/advisor/drafts/{draft_id}?notice={notice}", status.HTTP_303_SEE_OTHER)


async def _text_fields(request: Request) -> dict[str, str]:
    return {name: value for name, value in (await request.form()).items() if isinstance(value, str)}


def _version(form: dict[str, str]) -> int | None:
    text = form.get("version", "")
    return int(text) if text.isdigit() and len(text) < 10 else None


@router.post("/drafts/{draft_id}", response_class=HTMLResponse, dependencies=[FormPost])
async def save_draft(
    request: Request, draft_id: DraftId, user: PageUser, session: SessionDep, scope: PageScope, settings: SettingsDep
) -> Response:
    submitted = await _text_fields(request)
    draft = _load(session, draft_id, scope)
    catalog = scope.catalog(draft.dealer_id)
    try:
        body = _update_from_form(submitted, form_values(draft, catalog), catalog)
        changes = service_changes(DraftUpdate.model_validate(body), catalog)
        permissions.check_edit(session, user, draft_id, changes)
        with session.begin_nested():  # all of the corrections or none
            review.edit_draft(
                session, draft_id, changes, user.username, catalog,
                clock.now(catalog.timezone), expected_version=_version(submitted),
            )
    except ValidationError:
        code, message = status.HTTP_422_UNPROCESSABLE_CONTENT, "输入有误，请检查后再保存"
    except REVIEW_ERRORS as error:
        code, message = review_error(error)
    else:
        return _back_to(draft_id, "saved")
    # Keep what the advisor typed: nothing is lost on an error.
    draft = _load(session, draft_id, scope)
    return _draft_page(request, user, session, catalog, settings, draft, error=message,
                       values={**form_values(draft, catalog), **submitted}, status_code=code)


@router.post("/drafts/{draft_id}/approve", response_class=HTMLResponse, dependencies=[FormPost])
async def approve(
    request: Request, draft_id: DraftId, user: PageUser, session: SessionDep, scope: PageScope, settings: SettingsDep
) -> Response:
    form = await _text_fields(request)
    catalog = scope.catalog(_load(session, draft_id, scope).dealer_id)
    return _decide(request, draft_id, user, session, scope, settings, "approved",
                   lambda: review.approve_draft(session, draft_id, user.username, _version(form), catalog=catalog))


@router.post("/drafts/{draft_id}/reject", response_class=HTMLResponse, dependencies=[FormPost])
async def reject(
    request: Request, draft_id: DraftId, user: PageUser, session: SessionDep, scope: PageScope, settings: SettingsDep
) -> Response:
    form = await _text_fields(request)
    _load(session, draft_id, scope)
    def reject_it() -> object:
        permissions.check_reject(session, user, draft_id)
        return review.reject_draft(session, draft_id, form.get("reason", ""), user.username, _version(form))

    return _decide(request, draft_id, user, session, scope, settings, "rejected", reject_it)


def _decide(
    request: Request, draft_id: int, user: StaffUser, session: Session, scope: Tenancy,
    settings: ApiSettings, notice: str, action: Callable[[], object],
) -> Response:
    """Approve or reject from the page: back to the draft with a notice, or the page with the error."""
    try:
        with session.begin_nested():
            action()
    except REVIEW_ERRORS as error:
        code, message = review_error(error)
        draft = _load(session, draft_id, scope)
        return _draft_page(request, user, session, scope.catalog(draft.dealer_id), settings, draft,
                           error=message, status_code=code)
    return _back_to(draft_id, notice)
