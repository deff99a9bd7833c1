"""Access tokens: JWT signed with HS256, carrying the staff user's id, role and token
version (``ver``: a token older than the account's ``token_version`` is refused)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import jwt
from pydantic import BaseModel, Field, ValidationError

from api.config import ApiSettings
from api.schemas import Role
from dealer.models import StaffUser

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """Missing claims, bad signature, expired: the caller answers 401."""


class TokenClaims(BaseModel):
    sub: str = Field(pattern=r"^[1-9][0-9]{0,9}$")  # the staff user's id
    username: str
    role: Role
    ver: int = Field(ge=0)  # StaffUser.token_version when it was issued
    exp: int

    @property
    def user_id(self) -> int:
        return int(self.sub)


def signing_key(settings: ApiSettings) -> bytes:
    # A fixed-length key derived from the secret (set, or this install's generated one;
    # production's length is checked in ApiSettings), so HS256 always gets its 32 bytes.
    return hashlib.sha256(settings.secret_key.get_secret_value().encode()).digest()


def create_access_token(
    settings: ApiSettings,
    *,
    user_id: int,
    username: str,
    role: str,
    token_version: int = 0,
    now: datetime | None = None,
    expires_in: timedelta | None = None,
) -> str:
    issued = now or datetime.now(timezone.utc)
    lifetime = expires_in if expires_in is not None else timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sub": str(user_id),
        "username": username,
        "role": role,
        "ver": token_version,
        "iat": issued,
        "exp": issued + lifetime,
    }
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


def decode_access_token(settings: ApiSettings, token: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            signing_key(settings),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "ver"]},
        )
        return TokenClaims.model_validate(payload)
    except (jwt.InvalidTokenError, ValidationError) as error:
        raise InvalidToken(str(error)) from error


def token_for(settings: ApiSettings, user: StaffUser) -> str:
    """A new token for a signed-in staff user, under the account's current version."""
    return create_access_token(settings, user_id=user.id, username=user.username, role=user.role,
                               token_version=user.token_version)
