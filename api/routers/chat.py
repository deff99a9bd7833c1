"""The customer's web chat page, ``GET /chat``, and the two calls it makes.

The page talks only to this app (one origin, no CORS): ``POST /chat/messages`` is
passed to Rasa's ``webchat`` channel with ``RASA_AUTH_TOKEN`` (so drafts record
``channel: webchat``; the channel refuses anyone else), and
``GET /chat/history/{conversation_id}`` reads the conversation back from Rasa's
tracker (Rasa's HTTP API, with ``RASA_AUTH_TOKEN``), so a reload shows the earlier
messages. Conversation ids are random ``web-`` ids made by the browser; nothing else
can be read or written through here. Messages are limited per client IP
(``CHAT_RATE_LIMIT``, api/ratelimit.py): beyond it 429 with Retry-After.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException, Path as PathParam, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings

from api.deps import SettingsDep
from api.ratelimit import ChatLimit
from dealer.shared_secrets import shared_secret

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "chat"
ASSETS = {"chat.js": "text/javascript", "chat.css": "text/css"}
CONVERSATION_ID = r"^web-[0-9a-f]{32}$"
RASA_DOWN = "助手暂时无法连接,请稍后再试。"

router = APIRouter(prefix="/chat", tags=["chat"], include_in_schema=False)


class ChatSettings(BaseSettings):
    rasa_url: str = "http://127.0.0.1:5005"  # RASA_URL
    rasa_timeout: float = 30.0  # RASA_TIMEOUT: seconds for one turn


async def get_chat_settings() -> ChatSettings:
    return ChatSettings()


ChatSettingsDep = Annotated[ChatSettings, Depends(get_chat_settings)]
ConversationId = Annotated[str, PathParam(pattern=CONVERSATION_ID)]


class Button(BaseModel):
    title: str
    payload: str


class ChatLine(BaseModel):
    sender: str  # "bot" | "user"
    text: str = ""
    buttons: list[Button] = []


class ChatMessageIn(BaseModel):
    conversation_id: str = Field(pattern=CONVERSATION_ID)
    text: str = Field(min_length=1, max_length=1000)


@router.get("")
def chat_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")


@router.get("/assets/{name}")
def chat_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return FileResponse(STATIC_DIR / name, media_type=f"{ASSETS[name]}; charset=utf-8")


@router.post("/messages", response_model=list[ChatLine], dependencies=[ChatLimit])
async def send_message(
    message: ChatMessageIn, settings: ChatSettingsDep, app_settings: SettingsDep
) -> list[ChatLine]:
    # The webchat channel answers only to the holder of RASA_AUTH_TOKEN (bot/channels/webchat.py).
    token = shared_secret(app_settings, "rasa_auth_token")
    answers = await _rasa(
        settings, "POST", "/webhooks/webchat/webhook",
        json={"sender": message.conversation_id, "message": message.text},
        headers={"Authorization": f"Bearer {token}"},
    )
    return [_bot_line(answer) for answer in answers if answer.get("text") or answer.get("buttons")]


@router.get("/history/{conversation_id}", response_model=list[ChatLine])
async def history(
    conversation_id: ConversationId, settings: ChatSettingsDep, app_settings: SettingsDep
) -> list[ChatLine]:
    token = shared_secret(app_settings, "rasa_auth_token")
    tracker = await _rasa(settings, "GET", f"/conversations/{conversation_id}/tracker",
                          params={"token": token})
    return transcript(tracker.get("events") or [])


def transcript(events: list[dict[str, Any]]) -> list[ChatLine]:
    """The user and bot messages of a tracker; a clicked button shows as its title."""
    lines: list[ChatLine] = []
    titles: dict[str, str] = {}
    for event in events:
        if event.get("event") == "bot" and (event.get("text") or (event.get("data") or {}).get("buttons")):
            line = _bot_line({"text": event.get("text"), **(event.get("data") or {})})
            titles = {button.payload: button.title for button in line.buttons}
            lines.append(line)
        elif event.get("event") == "user" and event.get("text"):
            text = event["text"]
            lines.append(ChatLine(sender="user", text=titles.get(text, text)))
    return lines


def _bot_line(answer: dict[str, Any]) -> ChatLine:
    buttons = [Button(title=b["title"], payload=b.get("payload") or b["title"])
               for b in answer.get("buttons") or [] if b.get("title")]
    return ChatLine(sender="bot", text=answer.get("text") or "", buttons=buttons)


async def _rasa(settings: ChatSettings, method: str, path: str, **kwargs: Any) -> Any:
    try:
        async with httpx.AsyncClient(base_url=settings.rasa_url, timeout=settings.rasa_timeout) as client:
            response = await client.request(method, path, **kwargs)
            response.raise_for_status()
            return response.json()
    except (httpx.HTTPError, ValueError):
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=RASA_DOWN) from None
