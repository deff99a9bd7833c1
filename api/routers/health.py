from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import SessionDep
from api.schemas import HealthStatus
from dealer.health import database_down

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthStatus,
            responses={503: {"description": "a part is down, named in the body (dealer/health.py)"}})
def health(session: SessionDep) -> HealthStatus | JSONResponse:
    """Up when the database answers; no login needed. Down: 503 naming the database."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse(database_down(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    return HealthStatus()
