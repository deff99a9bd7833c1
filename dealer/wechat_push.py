"""Messages the worker sends through the Official Account (issue 12), with wechatpy's
client against the configurable API base (WECHAT_API_BASE_URL; the tests point it at
tests/wechat_sim.FakeWeChatApi).

The access token is the *stable* one (/cgi-bin/stable_token), as the Rasa process's WeChat
channel uses (bot/channels/wechat_api.py): both hold the same token, and neither
invalidates the other's (a plain /cgi-bin/token call would).
"""
from __future__ import annotations

import time

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"
# WeChat: the 48-hour customer-service window is closed (45015, 45047: too many messages
# since the customer last wrote); the customer unfollowed the account (43004).
WINDOW_CLOSED = {45015, 45047}
UNREACHABLE = {43004, 43101}


class ChannelError(Exception):
    """The message did not go out; worth another try later (network, WeChat busy)."""


class WindowClosed(ChannelError):
    """WeChat refuses a customer-service message: the customer has not written for 48 h."""


class Unreachable(ChannelError):
    """The customer cannot get messages from the account (unfollowed it): no retry."""


class DealerWeChatClient(WeChatClient):
    def __init__(self, app_id: str, secret: str, api_base_url: str = DEFAULT_API_BASE_URL, timeout: float = 10.0):
        super().__init__(app_id, secret, timeout=timeout)
        self.api_base = api_base_url.rstrip("/")
        self.API_BASE_URL = f"{self.api_base}/cgi-bin/"

    def fetch_access_token(self) -> dict:
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                "force_refresh": False}
        response = self._http.post(f"{self.api_base}/cgi-bin/stable_token", json=body, timeout=self.timeout)
        response.raise_for_status()
        result = response.json()
        if not result.get("access_token"):
            raise WeChatClientException(result.get("errcode"), result.get("errmsg"), client=self,
                                        request=response.request, response=response)
        expires_in = int(result.get("expires_in") or 7200)
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in  # WeChat's clock, not the business one
        return result


class WeChatPush:
    """Customer-service text and template messages; errors as ChannelError and its kinds."""

    def __init__(self, app_id: str, secret: str, api_base_url: str = DEFAULT_API_BASE_URL, timeout: float = 10.0):
        self.client = DealerWeChatClient(app_id, secret, api_base_url, timeout)

    def send_text(self, openid: str, text: str) -> None:
        self._call(lambda: self.client.message.send_text(openid, text))

    def send_template(self, openid: str, template_id: str, data: dict[str, dict[str, str]]) -> None:
        self._call(lambda: self.client.message.send_template(openid, template_id, data))

    @staticmethod
    def _call(send) -> None:
        try:
            send()
        except WeChatClientException as error:
            code = error.errcode
            if code in WINDOW_CLOSED:
                raise WindowClosed(f"WeChat {code}: {error.errmsg}") from None
            if code in UNREACHABLE:
                raise Unreachable(f"WeChat {code}: {error.errmsg}") from None
            raise ChannelError(f"WeChat {code}: {error.errmsg}") from None
        except (requests.RequestException, ValueError) as error:
            raise ChannelError(f"{type(error).__name__}: {error}") from None
