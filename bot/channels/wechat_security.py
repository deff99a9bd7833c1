"""Checking what claims to come from WeChat: signatures, timestamps, XML, safe-mode crypto.

The signature and AES work is wechatpy's; the XML is read with defusedxml first,
with DTDs forbidden (WeChat never sends one), so entity tricks such as the billion
laughs are refused before anything expands them.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature


class Refused(Exception):
    """The request is not provably WeChat's: answered 403, never reaches the assistant."""


class BadMessage(Exception):
    """The request is WeChat's but its body cannot be read: answered 400."""


def verify_query(
    token: str,
    args: Mapping[str, str | None],
    window: float,
    now: float | None = None,
) -> None:
    """The query signature (sha1 over token, timestamp, nonce) and the timestamp's age."""
    signature, timestamp, nonce = (args.get(k) for k in ("signature", "timestamp", "nonce"))
    if not (signature and timestamp and nonce):
        raise Refused("signature, timestamp or nonce missing")
    try:
        check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException as error:
        raise Refused("bad signature") from error
    try:
        sent_at = int(timestamp)
    except ValueError as error:
        raise Refused("timestamp is not a number") from error
    now = time.time() if now is None else now
    if abs(now - sent_at) > window:
        raise Refused(f"timestamp {sent_at} outside the {window:.0f} s window")


def read_xml(body: bytes, max_bytes: int) -> dict[str, str]:
    """The flat fields of a WeChat ``<xml>`` document; raises BadMessage for anything else."""
    if len(body) > max_bytes:
        raise BadMessage(f"body of {len(body)} bytes is over {max_bytes}")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError) as error:
        raise BadMessage(f"unreadable XML: {type(error).__name__}") from error
    if root.tag != "xml":
        raise BadMessage(f"root element <{root.tag}> is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def make_crypto(token: str, encoding_aes_key: str | None, app_id: str | None) -> WeChatCrypto | None:
    """The safe-mode cipher, or None when the account has no AES key configured."""
    if not (encoding_aes_key and app_id):
        return None
    try:
        return WeChatCrypto(token, encoding_aes_key, app_id)
    except (AssertionError, ValueError) as error:  # wechatpy asserts a 32-byte key
        raise ValueError("WECHAT_ENCODING_AES_KEY must be the 43 characters from the console") from error


def decrypt(crypto: WeChatCrypto, encrypted: str, args: Mapping[str, str | None]) -> str:
    """The inner XML of a safe-mode message; checks msg_signature over the ciphertext."""
    msg_signature = args.get("msg_signature")
    if not msg_signature or not encrypted:
        raise Refused("safe mode without msg_signature or Encrypt")
    try:
        # A dict, so wechatpy does not parse the body again with xmltodict.
        return crypto.decrypt_message(
            {"Encrypt": encrypted}, msg_signature, args["timestamp"], args["nonce"]
        )
    except InvalidSignatureException as error:
        raise Refused("bad msg_signature") from error
    except Exception as error:  # bad base64, padding or app id: not a message we can read
        raise BadMessage(f"cannot decrypt: {type(error).__name__}") from error
