"""Every /api route. Resource routers go under ``private``, which needs a token; each
router also names the roles it serves (api/deps.py, docs/roles.md)."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import get_current_user
from api.routers import auth, drafts, followups, health, plan, staff, training

public = APIRouter()
public.include_router(health.router)
public.include_router(auth.router)

private = APIRouter(
    dependencies=[Depends(get_current_user)],
    responses={401: {"description": "没有令牌，或令牌无效、已过期"}},
)
private.include_router(drafts.router)
private.include_router(followups.router)
private.include_router(plan.router)
private.include_router(staff.router)
private.include_router(training.router)

api_router = APIRouter()
api_router.include_router(public)
api_router.include_router(private)
