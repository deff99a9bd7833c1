"""The app factory: ``uvicorn --factory api.main:create_app``.

Nothing here reads settings or touches the database at import; the engine is
made on the first request that needs it.
"""
from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.body_limit import BodySizeLimit
from api.config import ApiSettings
from api.pages import mount_pages
from api.ratelimit import RateLimits
from api.routers import api_router
from api.routers.chat import router as chat_router
from api.signin import PasswordChecks
from dealer.privacy import install_log_masking

API_PREFIX = "/api"


def _operation_id(route: APIRoute) -> str:
    # Stable names for generated clients: drafts-list_drafts, auth-login_for_access_token.
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


async def _database_unavailable(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": "数据库暂时无法连接，请稍后再试"},
    )


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings if settings is not None else ApiSettings()
    app = FastAPI(
        title="售后预约助手 · 顾问 API",
        summary="Work-order drafts written by the booking assistant, for service advisors.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        swagger_ui_oauth2_redirect_url=f"{API_PREFIX}/docs/oauth2-redirect",
        redoc_url=None,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    app.state.rate_limits = RateLimits(settings)  # per client IP: /chat/messages, the sign-ins
    app.state.password_checks = PasswordChecks(settings.password_checks_running, settings.password_checks_waiting)
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)
    # Outermost: the client is the X-Forwarded-For address only behind a trusted proxy.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(chat_router)  # the customer's web chat page, /chat
    mount_pages(app)
    # Every record masked when made (phones, plates, VINs, names; tracebacks too), also
    # in handlers uvicorn or a --log-config adds later (dealer/privacy.py).
    install_log_masking("uvicorn", "uvicorn.error", "uvicorn.access")
    return app
