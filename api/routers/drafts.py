from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Response, status

from api.deps import DeskScope, DeskUser, SessionDep, Tenancy, get_desk_user
from dealer import clock
from api.labels import DRAFT_NOT_FOUND, REVIEW_ERRORS, review_error
from api.schemas import (
    MAX_ID,
    ApproveRequest,
    AuditEntry,
    DraftListQuery,
    DraftPublic,
    DraftsPublic,
    DraftUpdate,
    RejectRequest,
)
from dealer.catalog import Catalog
from dealer.models import DraftWorkOrder
from dealer.services import audit, drafts, permissions, review
from dealer.services.drafts import DraftFilters, draft_to_contract

# Advisors and managers (docs/roles.md); rejecting and reassigning are checked per draft.
router = APIRouter(prefix="/drafts", tags=["drafts"], dependencies=[Depends(get_desk_user)],
                   responses={403: {"description": "角色无权进行此操作"},
                              404: {"description": "未找到（或不是您的经销商的）"}})

DraftId = Annotated[int, Path(ge=1, le=MAX_ID)]
IfMatch = Annotated[str | None, Header(description='the draft\'s version as an ETag, e.g. "3"')]
NOT_FOUND = DRAFT_NOT_FOUND
CONFLICT_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": NOT_FOUND},
    409: {"description": "草稿已被他人修改，或当前状态不允许此操作"},
    412: {"description": "If-Match 不是有效的版本号"},
    422: {"description": "字段值不正确"},
    400: {"description": "请求体不是有效的 JSON"},
}


def _etag(version: int) -> str:
    return f'"{version}"'


def _expected_version(body_version: int | None, if_match: str | None) -> int | None:
    if body_version is not None:
        return body_version
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 10:
        raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, detail="If-Match 不是有效的版本号")
    return int(tag)


@contextmanager
def review_errors() -> Iterator[None]:
    """The review service's refusals as HTTP answers, in Chinese."""
    try:
        yield
    except REVIEW_ERRORS as error:
        code, message = review_error(error)
        raise HTTPException(code, detail=message) from None


def scoped_draft(session: SessionDep, scope: Tenancy, draft_id: int) -> DraftWorkOrder:
    """The draft if it is one of the account's dealers' (issue 14); 404 alike for another
    dealer's and for none."""
    draft = drafts.get_draft(session, draft_id)
    if draft is None or not scope.sees(draft.dealer_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
    return draft


def _public(session: SessionDep, draft_id: int, scope: Tenancy, response: Response) -> DraftPublic:
    draft = scoped_draft(session, scope, draft_id)
    response.headers["ETag"] = _etag(draft.version)
    return DraftPublic.model_validate(draft_to_contract(draft, scope.catalog(draft.dealer_id).timezone))


def service_changes(update: DraftUpdate, catalog: Catalog) -> dict[str, Any]:
    """The Draft-shaped PATCH body as the review service's flat field names."""
    changes: dict[str, Any] = {}
    if update.customer is not None:
        sent = update.customer.sent()
        changes.update({("customer_name" if k == "name" else k): v for k, v in sent.items()})
    if update.vehicle is not None:
        changes.update(update.vehicle.sent())
    if update.booking is not None:
        changes.update(update.booking.sent())
        start = changes.get("start")
        if isinstance(start, datetime) and start.tzinfo is None:
            changes["start"] = start.replace(tzinfo=catalog.timezone)  # the dealer's wall clock
    if update.symptoms is not None:
        changes["symptoms"] = update.symptoms.sent()
    for name in ("repeat_repair", "extra_requests", "last_service", "job_description", "urgent", "needs_human"):
        if name in update.model_fields_set:
            changes[name] = getattr(update, name)
    return changes


@router.get("", response_model=DraftsPublic)
def list_drafts(
    query: Annotated[DraftListQuery, Query()], session: SessionDep, scope: DeskScope
) -> DraftsPublic:
    """Work-order drafts, newest first; ``phone`` and ``plate`` match after normalisation.
    Only the account's dealers' (a group manager's: ``dealer`` picks one)."""
    catalog = scope.catalog()
    filters = DraftFilters(
        dealer_ids=scope.selected,
        status=query.status,
        phone=query.phone,
        plate=query.plate,
        day=query.date,
        advisor_name=query.advisor,
        urgent=query.urgent,
        needs_human=query.needs_human,
    )
    rows, total = drafts.list_drafts(
        session, filters, catalog.timezone, limit=query.limit, offset=query.offset
    )
    items = [DraftPublic.model_validate(draft_to_contract(row, catalog.timezone)) for row in rows]
    return DraftsPublic(items=items, total=total)


@router.get("/{draft_id}", response_model=DraftPublic, responses={404: {"description": NOT_FOUND}})
def read_draft(draft_id: DraftId, session: SessionDep, scope: DeskScope, response: Response) -> DraftPublic:
    return _public(session, draft_id, scope, response)


@router.patch("/{draft_id}", response_model=DraftPublic, responses=CONFLICT_RESPONSES)
def update_draft(
    draft_id: DraftId,
    update: DraftUpdate,
    session: SessionDep,
    scope: DeskScope,
    user: DeskUser,
    response: Response,
    if_match: IfMatch = None,
) -> DraftPublic:
    """Correct fields of a draft; each changed field is written to the audit log.
    Moving it to another advisor is the manager's (an advisor may take an unassigned one)."""
    catalog = scope.catalog(scoped_draft(session, scope, draft_id).dealer_id)
    expected = _expected_version(update.version, if_match)
    changes = service_changes(update, catalog)
    with review_errors():
        permissions.check_edit(session, user, draft_id, changes)
        review.edit_draft(
            session, draft_id, changes, user.username, catalog,
            clock.now(catalog.timezone), expected_version=expected,
        )
        session.flush()
    return _public(session, draft_id, scope, response)


@router.post("/{draft_id}/approve", response_model=DraftPublic, responses=CONFLICT_RESPONSES)
def approve_draft(
    draft_id: DraftId,
    session: SessionDep,
    scope: DeskScope,
    user: DeskUser,
    response: Response,
    body: ApproveRequest | None = None,
    if_match: IfMatch = None,
) -> DraftPublic:
    """预约登记: the draft becomes a confirmed appointment."""
    catalog = scope.catalog(scoped_draft(session, scope, draft_id).dealer_id)
    expected = _expected_version(body.version if body else None, if_match)
    with review_errors():
        review.approve_draft(session, draft_id, user.username, expected_version=expected, catalog=catalog)
        session.flush()
    return _public(session, draft_id, scope, response)


@router.post("/{draft_id}/reject", response_model=DraftPublic, responses=CONFLICT_RESPONSES)
def reject_draft(
    draft_id: DraftId,
    body: RejectRequest,
    session: SessionDep,
    scope: DeskScope,
    user: DeskUser,
    response: Response,
    if_match: IfMatch = None,
) -> DraftPublic:
    """Refuse a draft with a reason; its slot is freed. Its own advisor's or a manager's."""
    scoped_draft(session, scope, draft_id)
    expected = _expected_version(body.version, if_match)
    with review_errors():
        permissions.check_reject(session, user, draft_id)
        review.reject_draft(session, draft_id, body.reason, user.username, expected_version=expected)
        session.flush()
    return _public(session, draft_id, scope, response)


@router.get("/{draft_id}/audit", response_model=list[AuditEntry], responses={404: {"description": NOT_FOUND}})
def read_audit_log(draft_id: DraftId, session: SessionDep, scope: DeskScope) -> list[AuditEntry]:
    """Who changed what on this draft, oldest first."""
    scoped_draft(session, scope, draft_id)
    return [AuditEntry.model_validate(row, from_attributes=True) for row in audit.history(session, "draft_work_order", draft_id)]
