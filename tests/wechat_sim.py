"""A stand-in for the WeChat server, for the WeChat channel's tests (both runtimes).

It builds, signs and (in safe mode) encrypts message XML the way WeChat does, and
reads the channel's passive replies back, checking their signature in safe mode.
``FakeWeChatApi`` is the server API on a local port: the stable access token and
customer-service messages, recorded for the tests.
"""
from __future__ import annotations

import json
import secrets
import string
import threading
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

TOKEN = "rasa-dealer-test-token"
# 43 characters of base64 (32 bytes), like the console generates; a test value only.
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx0123456789abcdef"
APP_SECRET = "test-secret-not-real"
OFFICIAL_ID = "gh_0123456789ab"

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n<xml><ToUserName>gh</ToUserName><FromUserName>o_attacker</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content>"
    "<MsgId>1</MsgId></xml>"
)


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def new_openid() -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "o" + "".join(secrets.choice(alphabet) for _ in range(27))


@dataclass
class WeChatServerSim:
    token: str = TOKEN
    aes_key: str = AES_KEY
    app_id: str = APP_ID
    safe_mode: bool = False
    _next_msg_id: int = field(default_factory=lambda: 24_000_000_000_000_000 + secrets.randbelow(10**12))

    @property
    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.app_id)

    def msg_id(self) -> int:
        self._next_msg_id += 1
        return self._next_msg_id

    def query(self, timestamp: int | None = None, nonce: str | None = None, openid: str = "") -> dict:
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or str(secrets.randbelow(10**10))
        query = {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        if openid:
            query["openid"] = openid
        return query

    def verification(self, echostr: str = "echo-1234567890", **kwargs) -> dict:
        return {**self.query(**kwargs), "echostr": echostr}

    def text(self, openid: str, content: str, msg_id: int | None = None, create_time: int | None = None) -> str:
        return self._xml(openid, "text", create_time,
                         Content=content, MsgId=str(msg_id or self.msg_id()))

    def event(self, openid: str, event: str, create_time: int | None = None, key: str = "") -> str:
        return self._xml(openid, "event", create_time, Event=event, EventKey=key)

    def image(self, openid: str) -> str:
        return self._xml(openid, "image", None, PicUrl="http://mmbiz.qpic.cn/x/0", MediaId="m1",
                         MsgId=str(self.msg_id()))

    def _xml(self, openid: str, msg_type: str, create_time: int | None, **fields: str) -> str:
        create_time = int(time.time()) if create_time is None else create_time
        body = [
            f"<ToUserName><![CDATA[{OFFICIAL_ID}]]></ToUserName>",
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
            f"<CreateTime>{create_time}</CreateTime>",
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
        ]
        for name, value in fields.items():
            body.append(f"<{name}>{value}</{name}>" if value.isdigit() else f"<{name}><![CDATA[{value}]]></{name}>")
        return "<xml>" + "".join(body) + "</xml>"

    def delivery(self, xml: str, openid: str = "", **query_args) -> tuple[dict, bytes]:
        """Query string and body of the POST WeChat makes for ``xml``."""
        query = self.query(openid=openid, **query_args)
        if not self.safe_mode:
            return query, xml.encode("utf-8")
        # Safe mode: the message travels AES-encrypted; msg_signature covers the ciphertext.
        sealed = ElementTree.fromstring(self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))
        encrypted = sealed.findtext("Encrypt")
        query.update(encrypt_type="aes", msg_signature=sign(self.token, query["timestamp"], query["nonce"], encrypted))
        body = (f"<xml><ToUserName><![CDATA[{OFFICIAL_ID}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        return query, body.encode("utf-8")

    def read_reply(self, body: str) -> dict[str, str] | None:
        """The passive reply's fields, None for ``success``/empty; checks safe-mode signatures."""
        if body.strip() in ("", "success"):
            return None
        if self.safe_mode:
            sealed = ElementTree.fromstring(body)
            body = self.crypto.decrypt_message(
                body, sealed.findtext("MsgSignature"), sealed.findtext("TimeStamp"), sealed.findtext("Nonce")
            )
        return {child.tag: child.text or "" for child in ElementTree.fromstring(body)}


class FakeWeChatApi:
    """The WeChat server API on 127.0.0.1: /cgi-bin/stable_token and custom/send."""

    def __init__(self, app_id: str = APP_ID, secret: str = APP_SECRET, port: int = 0) -> None:
        self.app_id, self.secret = app_id, secret
        self.token_requests: list[dict] = []
        self.sent: list[dict] = []  # customer-service and template messages, as sent
        # Issue 12: answers to force: openids whose 48-hour window WeChat says is closed
        # (45015), and errcodes for the next sends (a channel error; -1 is WeChat's "busy").
        self.window_closed: set[str] = set()
        self.failures: list[int] = []
        # Openids whose messages are recorded (WeChat delivers them) but answered only after
        # release(): a sender that dies meanwhile never learns they went out.
        self.held: set[str] = set()
        self._released = threading.Event()
        self._issued = 0
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def current_token(self) -> str:
        return f"ACCESS_TOKEN_{self._issued}"

    def start(self) -> FakeWeChatApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def release(self) -> None:
        """Answer the held sends (and every later one) at once."""
        self._released.set()

    def expire_token(self) -> None:
        with self._lock:
            self._issued += 1  # the old one is no longer accepted, as after a refresh elsewhere

    def messages_to(self, openid: str) -> list[dict]:
        with self._lock:
            return [m for m in self.sent if m.get("touser") == openid]

    def wait_for_message(self, openid: str, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = [m for m in self.sent if m.get("touser") == openid]
                if found or time.monotonic() >= deadline:
                    return found[0] if found else None
                self._arrived.wait(max(0.01, deadline - time.monotonic()))

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                url = urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw.decode("utf-8"))
                if url.path == "/cgi-bin/stable_token":
                    self._reply(fake._token(body))
                elif url.path in ("/cgi-bin/message/custom/send", "/cgi-bin/message/template/send"):
                    token = parse_qs(url.query).get("access_token", [""])[0]
                    answer = fake._send(token, body, raw)
                    if body.get("touser") in fake.held:
                        fake._released.wait(120)
                    self._reply(answer)
                else:
                    self._reply({"errcode": 404, "errmsg": "not found"}, status=404)

            def _reply(self, data: dict, status: int = 200) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler

    def _token(self, body: dict) -> dict:
        with self._lock:
            self.token_requests.append(body)
            if body.get("appid") != self.app_id or body.get("secret") != self.secret:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            if self._issued == 0:
                self._issued = 1
            return {"access_token": self.current_token, "expires_in": 7200}

    def _send(self, token: str, body: dict, raw: bytes) -> dict:
        with self._arrived:
            if not self._issued or token != self.current_token:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
            if self.failures:
                return {"errcode": self.failures.pop(0), "errmsg": "system error"}
            if "template_id" not in body and body.get("touser") in self.window_closed:
                return {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}
            self.sent.append({**body, "_raw": raw})
            self._arrived.notify_all()
            return {"errcode": 0, "errmsg": "ok"}


def stack_env(fake_api_port: int) -> dict[str, str]:
    """The WeChat settings of the Rasa process in the tests: test values, a local server API."""
    return {
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_ENCODING_AES_KEY": AES_KEY,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_API_BASE_URL": f"http://127.0.0.1:{fake_api_port}",
    }
