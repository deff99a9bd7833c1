"""The customer's web chat page, ``GET /chat`` (``/chat/<dealer>``), and the two calls it makes.

Issue 14: each dealer of the network has its page, ``/chat/<code>`` (``/chat`` is the
default dealer's), with its name, hours and greeting from its dealer file. The page
sends its dealer with each message; the app passes it to Rasa as the message's
metadata (``{"dealer": code}``), which fixes the conversation's dealer at its session
start (bot/conversation_dealer.py). A conversation is read back only on its dealer's
page.

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

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import httpx
import yaml
from fastapi import APIRouter, Depends, HTTPException, Path as PathParam, Request, status
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings

from api.deps import NO_SUCH_DEALER, DealerQuery, SettingsDep
from api.pages.templating import templates
from api.ratelimit import ChatLimit
from dealer.catalog import Catalog, catalog_for
from dealer.shared_secrets import shared_secret

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "chat"
DOMAIN_PATH = Path(__file__).resolve().parent.parent.parent / "domain.yml"
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
    dealer: str | None = Field(default=None, max_length=20)  # the page's; none: the default dealer


def _dealer(settings: SettingsDep, code: str | None) -> Catalog:
    try:
        return catalog_for(code or None, settings.catalog_path, settings.dealers_dir)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_DEALER) from None


@lru_cache(maxsize=1)
def _greeting_template() -> str:
    """The assistant's own greeting (domain.yml utter_greet), shown first on the page."""
    responses = yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))["responses"]
    return responses["utter_greet"][0]["text"]


def greeting(catalog: Catalog) -> str:
    return _greeting_template().replace("{dealer_name}", catalog.name)


STORAGE_KEY = "ruitong-chat-conversation"  # the browser's conversation id (localStorage)


def _page(request: Request, settings: SettingsDep, catalog: Catalog) -> Response:
    # The default dealer's key is the one the page had before the network: a customer's
    # conversation survives the upgrade.
    default = _dealer(settings, None).code == catalog.code
    return templates().TemplateResponse(request, "chat.html", {
        "catalog": catalog, "greeting": greeting(catalog),
        "storage_key": STORAGE_KEY if default else f"{STORAGE_KEY}-{catalog.code}"})


@router.get("", response_class=HTMLResponse)
def chat_page(request: Request, settings: SettingsDep) -> Response:
    return _page(request, settings, _dealer(settings, None))


@router.get("/assets/{name}")
def chat_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return FileResponse(STATIC_DIR / name, media_type=f"{ASSETS[name]}; charset=utf-8")


@router.get("/{dealer}", response_class=HTMLResponse)
def dealer_chat_page(request: Request, settings: SettingsDep,
                     dealer: Annotated[str, PathParam(max_length=20)]) -> Response:
    return _page(request, settings, _dealer(settings, dealer))


@router.post("/messages", response_model=list[ChatLine], dependencies=[ChatLimit])
async def send_message(
    message: ChatMessageIn, settings: ChatSettingsDep, app_settings: SettingsDep
) -> list[ChatLine]:
    dealer = _dealer(app_settings, message.dealer)
    # The webchat channel answers only to the holder of RASA_AUTH_TOKEN (bot/channels/webchat.py).
    token = shared_secret(app_settings, "rasa_auth_token")
    answers = await _rasa(
        settings, "POST", "/webhooks/webchat/webhook",
        json={"sender": message.conversation_id, "message": message.text, "metadata": {"dealer": dealer.code}},
        headers={"Authorization": f"Bearer {token}"},
    )
    return [_bot_line(answer) for answer in answers if answer.get("text") or answer.get("buttons")]


@router.get("/history/{conversation_id}", response_model=list[ChatLine])
async def history(
    conversation_id: ConversationId, settings: ChatSettingsDep, app_settings: SettingsDep,
    dealer: DealerQuery = None,
) -> list[ChatLine]:
    """The conversation's messages, on its own dealer's page only (another's: 404)."""
    wanted = _dealer(app_settings, dealer)
    token = shared_secret(app_settings, "rasa_auth_token")
    tracker = await _rasa(settings, "GET", f"/conversations/{conversation_id}/tracker",
                          params={"token": token})
    events = tracker.get("events") or []
    held_by = (tracker.get("slots") or {}).get("dealer")
    if events and held_by is not None and held_by != wanted.code:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return transcript(events)


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
