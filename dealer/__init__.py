"""The dealer's data model and services.

Shared by the action server (``actions/``) and the advisor API (``api/``);
imports neither rasa nor fastapi.
"""
