from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from api.deps import CatalogDep, SessionDep
from api.schemas import MAX_ID, DraftListQuery, DraftPublic, DraftsPublic
from dealer.services import drafts
from dealer.services.drafts import DraftFilters, draft_to_contract

router = APIRouter(prefix="/drafts", tags=["drafts"])

DraftId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=DraftsPublic)
def list_drafts(
    query: Annotated[DraftListQuery, Query()], session: SessionDep, catalog: CatalogDep
) -> DraftsPublic:
    """Work-order drafts, newest first; ``phone`` and ``plate`` match after normalisation."""
    filters = DraftFilters(status=query.status, phone=query.phone, plate=query.plate, day=query.date)
    rows, total = drafts.list_drafts(
        session, filters, catalog.timezone, limit=query.limit, offset=query.offset
    )
    items = [DraftPublic.model_validate(draft_to_contract(row, catalog.timezone)) for row in rows]
    return DraftsPublic(items=items, total=total)


@router.get("/{draft_id}", response_model=DraftPublic)
def read_draft(draft_id: DraftId, session: SessionDep, catalog: CatalogDep) -> DraftPublic:
    draft = drafts.get_draft(session, draft_id)
    if draft is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="未找到该工单草稿")
    return DraftPublic.model_validate(draft_to_contract(draft, catalog.timezone))
