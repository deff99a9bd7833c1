"""Rasa input channels of the assistant: the web chat page and the WeChat Official Account.

Both are registered by module path in ``bot/credentials.yml``; their names (``webchat``,
``wechat``) are what drafts record as ``channel``.
"""
