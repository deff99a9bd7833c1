"""Staff accounts, for the admin role (docs/roles.md): who has an account, which are
disabled or locked out, and lifting a lockout. Accounts are made and disabled with
``python -m dealer create-user | disable-user | enable-user | reset-password``."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status

from api.deps import AdminScope, AdminUser, SessionDep, get_admin_user
from api.schemas import StaffPublic
from dealer.services import accounts
from dealer.services.accounts import AccountProblem
from dealer.services.staff import get_staff_user

router = APIRouter(prefix="/staff", tags=["staff"], dependencies=[Depends(get_admin_user)],
                   responses={403: {"description": "仅限管理员"}})
NO_SUCH_ACCOUNT = "没有这个账号"
Username = Annotated[str, Path(max_length=60)]


@router.get("", response_model=list[StaffPublic])
def list_staff(session: SessionDep, scope: AdminScope) -> list[StaffPublic]:
    """The accounts of the admin's dealer (issue 14)."""
    return [
        StaffPublic(username=user.username, role=user.role, advisor=code, active=user.active,
                    locked_until=user.locked_until, dealer=scope.codes.get(user.dealer_id))
        for user, code in accounts.list_staff_users(session, list(scope.visible))
    ]


@router.post("/{username}/unlock", status_code=status.HTTP_204_NO_CONTENT,
             responses={404: {"description": NO_SUCH_ACCOUNT}})
def unlock(username: Username, session: SessionDep, admin: AdminUser, scope: AdminScope) -> Response:
    """Lift a failed-login lockout before it runs out (an account of the admin's dealer)."""
    target = get_staff_user(session, username)
    if target is None or not scope.sees(target.dealer_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_ACCOUNT)
    try:
        accounts.unlock_staff_user(session, username, f"api:{admin.username}")
    except AccountProblem:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_ACCOUNT) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
