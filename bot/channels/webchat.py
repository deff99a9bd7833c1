"""The web chat page's channel: the REST channel (bot/channels/rest.py) named ``webchat``.

The page at ``/chat`` (served by the API app) posts through the app to
``/webhooks/webchat/webhook``; the name is what ends up in the tracker's
``input_channel`` and so in the draft's ``channel``.
"""
from __future__ import annotations

from bot.channels.rest import RestChannel


class WebChatInput(RestChannel):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    def _extract_input_channel(self, req) -> str:
        # The page cannot claim to be another channel.
        return self.name()
