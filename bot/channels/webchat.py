"""The web chat page's channel: the REST channel (bot/channels/rest.py) named ``webchat``.

The page at ``/chat`` (served by the API app) posts through the app to
``/webhooks/webchat/webhook``; the name is what ends up in the tracker's
``input_channel`` and so in the draft's ``channel``. Only the app calls it, with
``RASA_AUTH_TOKEN``, in every mode: it is never a public door, so the app's rule that
only browser-made ``web-`` ids are used holds.
"""
from __future__ import annotations

from bot.channels.rest import RestChannel


class WebChatInput(RestChannel):
    open_in_local_mode = False

    @classmethod
    def name(cls) -> str:
        return "webchat"
