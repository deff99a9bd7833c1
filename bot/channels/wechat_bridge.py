"""What the WeChat channel does with a request, apart from HTTP.

``WeChatBridge.verify_url`` answers the console's URL check; ``WeChatBridge.receive``
turns one delivery of a message into (at most) one turn of the assistant and a
passive reply, or ``success`` and a customer-service message when the assistant
needs longer than the reply timeout. Refused with 403: a plaintext message when
safe mode is configured (a downgrade), and a (timestamp, nonce) seen with another body.

What the channel remembers between requests (MsgIds, replay pairs, numbered options,
the access token) is in ``self.state`` (wechat_state): this process's memory, or Redis
shared by every replica (WECHAT_STATE_REDIS_URL). The running turns themselves (asyncio
tasks) are this process's own: a retry that lands on another replica waits there for
the reply in Redis, takes it passively if nobody delivered it yet, else answers success.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from wechatpy import parse_message
from wechatpy.replies import TextReply

from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_render import render
from bot.channels.wechat_security import (
    BadMessage,
    Refused,
    decrypt,
    make_crypto,
    read_xml,
    verify_query,
)
from bot.channels.wechat_settings import WeChatSettings
from bot.channels.wechat_state import ChannelState
from bot.channels.wechat_turns import Turn, TurnRegistry

logger = logging.getLogger(__name__)

CHANNEL_NAME = "wechat"
GREETING_PAYLOAD = "/greet"
NOT_TEXT_REPLY = "您好,目前我只能看懂文字消息。请用文字告诉我您的需求,例如“我想预约明天上午做保养”。感谢您!"
OTHER_EVENT_REPLY = "您好,请直接发送文字告诉我您的需求,我来为您安排预约。感谢您!"
ERROR_REPLY = "抱歉,系统暂时繁忙,请稍后再试。感谢您的耐心!"
SUBSCRIBE_EVENTS = {"subscribe", "subscribe_scan"}
SILENT_EVENTS = {"unsubscribe", "templatesendjobfinish", "masssendjobfinish", "view"}

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


SUCCESS = Response(200, "success")


class _LocksByKey:
    """One asyncio.Lock per openid, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: defaultdict[str, int] = defaultdict(int)

    @asynccontextmanager
    async def hold(self, key: str):
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]


class WeChatBridge:
    def __init__(
        self,
        settings: WeChatSettings,
        on_new_message: OnNewMessage,
        api: WeChatApi | None = None,
        clock: Callable[[], float] = time.time,
        state: ChannelState | None = None,
    ) -> None:
        self.settings = settings
        self._on_new_message = on_new_message
        self._clock = clock
        self.state = state if state is not None else ChannelState.from_settings(settings, clock=clock)
        tokens = self.state.make_tokens(settings.app_id) if self.state.make_tokens else None
        self.api = api if api is not None else WeChatApi(settings, tokens=tokens)
        self.crypto = make_crypto(settings.token or "", settings.encoding_aes_key, settings.app_id)
        self.turns = TurnRegistry(ttl=settings.dedup_ttl)  # the turns running in this process
        self.options = self.state.options
        self._conversations = _LocksByKey()
        self._background: set[asyncio.Task] = set()

    # -- HTTP entry points -------------------------------------------------

    def verify_url(self, args: Mapping[str, str | None]) -> Response:
        """GET from the console when the server URL is saved: echo ``echostr`` if signed."""
        refused = self._check_request(args)
        if refused:
            return refused
        return Response(200, args.get("echostr") or "")

    async def receive(self, args: Mapping[str, str | None], body: bytes) -> Response:
        refused = self._check_request(args)
        if refused:
            return refused
        encrypted = (args.get("encrypt_type") or "raw").lower() == "aes"
        if self.settings.safe_mode and not encrypted:
            return _refused("a plaintext message while safe mode is configured")
        try:
            fields = read_xml(body, self.settings.max_body_bytes)
            xml = body.decode("utf-8")
            if encrypted:
                if self.crypto is None:
                    logger.error("safe-mode message but WECHAT_ENCODING_AES_KEY/APP_ID are not set")
                    return Response(503, "safe mode is not configured")
                xml = decrypt(self.crypto, fields.get("Encrypt", ""), args)
                fields = read_xml(xml.encode("utf-8"), self.settings.max_body_bytes)
            message = parse_message(xml)  # wechatpy; the XML has passed defusedxml above
        except Refused as error:
            return _refused(error)
        except (BadMessage, UnicodeDecodeError, KeyError) as error:
            logger.warning("unreadable WeChat message: %s", error)
            return Response(400, "bad request")
        # Only a readable body (in safe mode: msg_signature checked) claims its pair.
        if await self.state.replays.is_replay(args["timestamp"], args["nonce"], body):
            return _refused("a timestamp and nonce already seen with another body")

        text = await self._reply_for(message, fields)
        if not text:
            return SUCCESS
        reply = TextReply(message=message, content=text).render()
        if encrypted:
            reply = self.crypto.encrypt_message(reply, args["nonce"], str(int(self._clock())))
        return Response(200, reply, "application/xml; charset=utf-8")

    # -- what to answer ------------------------------------------------------

    def _check_request(self, args: Mapping[str, str | None]) -> Response | None:
        if not self.settings.configured:
            # Without a token no signature can verify: refused like any bad signature
            # (the contract's 403); the log tells the operator what is missing.
            return _refused(f"the channel is not configured (set {self.settings.token_variable})")
        try:
            verify_query(self.settings.token, args, self.settings.timestamp_window, self._clock())
        except Refused as error:
            return _refused(error)
        return None

    async def _reply_for(self, message: Any, fields: dict[str, str]) -> str | None:
        openid = fields.get("FromUserName", "")
        msg_type = fields.get("MsgType", "").lower()
        event = fields.get("Event", "").lower()
        if not openid:
            return None
        if msg_type == "event":
            key = f"event:{openid}:{fields.get('CreateTime', '')}:{event}"
        else:
            key = f"msg:{fields.get('MsgId') or openid + ':' + fields.get('CreateTime', '')}"

        if msg_type == "text":
            start = partial(self._converse, openid, message.content, fields)
        elif msg_type == "event" and event in SUBSCRIBE_EVENTS:
            start = partial(self._converse, openid, GREETING_PAYLOAD, fields)
        elif msg_type == "event" and event in SILENT_EVENTS:
            return None
        else:
            start = partial(_constant, OTHER_EVENT_REPLY if msg_type == "event" else NOT_TEXT_REPLY)

        turn = self.turns.get(key)
        if turn is not None:
            logger.info("WeChat delivered %s again (delivery %d): same turn", key, turn.deliveries)
        elif await self.state.deliveries.first(key):
            turn = self.turns.start(key, start)
        else:  # taken up before: by another replica (or here, longer ago than remembered)
            logger.info("WeChat delivered %s again: its turn runs elsewhere", key)
            return await self.state.deliveries.reply_from_elsewhere(key, self.settings.reply_timeout)
        return await self._passive_or_later(turn, key, openid)

    async def _passive_or_later(self, turn: Turn, key: str, openid: str) -> str | None:
        turn.waiting += 1
        try:
            text = await asyncio.wait_for(asyncio.shield(turn.task), self.settings.reply_timeout)
        except asyncio.TimeoutError:
            self._push_when_ready(turn, key, openid)
            return None
        finally:
            turn.waiting -= 1
        return text if text and await self._claim(turn, key) else None

    async def _claim(self, turn: Turn, key: str, pushing: bool = False) -> bool:
        """True exactly once per message, on whichever replica (the state's claim)."""
        if turn.claimed:
            return False
        if not await self.state.deliveries.claim(key, pushing=pushing):
            return False
        return turn.claim()

    def _push_when_ready(self, turn: Turn, key: str, openid: str) -> None:
        if turn.push_scheduled:
            return
        turn.push_scheduled = True
        task = asyncio.ensure_future(self._push(turn, key, openid))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _push(self, turn: Turn, key: str, openid: str) -> None:
        text = await asyncio.shield(turn.task)
        await self.state.deliveries.finished(key, text)  # for a retry waiting on another replica
        while turn.waiting:  # a retry still waiting takes the reply passively (no API call)
            await asyncio.sleep(0)
        if not text or not await self._claim(turn, key, pushing=True):
            return  # nothing to say, or a retry of the message got it passively
        try:
            await self.api.send_text(openid, text)
            logger.info("reply to %s sent through the customer-service API", openid)
        except Exception:  # logged, not raised: nobody is waiting for this task
            logger.exception("could not send the reply to %s through the customer-service API", openid)

    async def _converse(self, openid: str, text: str, fields: dict[str, str]) -> str:
        try:
            async with self._conversations.hold(openid):
                collector = CollectingOutputChannel()
                await self._on_new_message(
                    UserMessage(
                        await self.options.pick(openid, text),
                        collector,
                        sender_id=self.settings.sender_id(openid),
                        input_channel=CHANNEL_NAME,
                        message_id=f"wechat-{fields.get('MsgId') or fields.get('CreateTime', '')}",
                        metadata=self._metadata(fields),
                    )
                )
                reply, buttons = render(collector.messages)
                await self.options.save(openid, buttons)
                return reply
        except Exception:
            logger.exception("the assistant failed on a WeChat message from %s", openid)
            return ERROR_REPLY

    def _metadata(self, fields: dict[str, str]) -> dict[str, Any]:
        """The message's metadata: its dealer (the account's; Rasa keeps it as the session's
        ``session_started_metadata``) and what WeChat said it was."""
        wechat = {"msg_type": fields.get("MsgType"), "msg_id": fields.get("MsgId"), "event": fields.get("Event")}
        return {"wechat": wechat, **({"dealer": self.settings.dealer} if self.settings.dealer else {})}

    async def close(self) -> None:
        await self.api.close()
        await self.state.close()


def _refused(reason: object) -> Response:
    logger.warning("WeChat request refused: %s", reason)
    return Response(403, "forbidden")


async def _constant(text: str) -> str:
    return text
