"""The worker starts the WeChat 回访 survey (issue 12) through the Rasa server's HTTP API:
``POST /conversations/{openid}/trigger_intent?output_channel=wechat`` with the external
intent ``EXTERNAL_followup_survey`` and the task's id as the entity ``survey_task_id``. Rasa
runs the survey's first turn (actions/survey.py) and sends it through the WeChat channel's
output (customer-service messages); the customer's replies come back as ordinary messages.
Issue 14: the conversation is the draft's, ``<code>:<openid>`` for a non-default dealer, so
Rasa's WeChat output sends through that dealer's Official Account (bot/channels/wechat.py).
"""
from __future__ import annotations

from urllib.parse import quote

import requests

from dealer.wechat_push import ChannelError

SURVEY_INTENT = "EXTERNAL_followup_survey"
TASK_ENTITY = "survey_task_id"


class RasaSurvey:
    def __init__(self, rasa_url: str, token: str, timeout: float = 30.0) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def start(self, conversation_id: str, task_id: int) -> None:
        """The survey's first question is on its way to the customer, or ChannelError."""
        url = f"{self.rasa_url}/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        try:
            response = requests.post(
                url,
                params={"output_channel": "wechat", "token": self.token},
                json={"name": SURVEY_INTENT, "entities": {TASK_ENTITY: task_id}},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise ChannelError(f"Rasa unreachable: {type(error).__name__}") from None
        if response.status_code != 200:
            raise ChannelError(f"Rasa answered {response.status_code} to trigger_intent")
