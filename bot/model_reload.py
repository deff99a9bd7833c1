"""A model replaced while serving (``PUT /model``): the server keeps answering meanwhile.

Why a patch: Rasa 3.6's ``PUT /model`` (rasa/server.py ``load_model``) builds the new
agent with ``rasa.core.agent.load_agent`` inside the request handler, and that loads
the model (unpacks the archive, builds the graph, loads spaCy and the classifiers)
synchronously, on the server's one event loop. For the whole load (1.5-3 s for this
model on a busy 2-core machine, 5 s at worst seen; bigger models take longer) nothing
else is served: messages wait mid-turn, and a custom action call in flight counts the
stall against its ``ACTION_SERVER_TIMEOUT`` (4 s, bot/action_fault.py), so a customer
got the action server's apology and their message undone while nothing was down
(measured by tests/cluster/test_model_reload.py). Requests are not refused (409 comes
only with no agent at all, and the old agent serves until the swap).

What happens instead (installed by ``bot/rasa_server.py``): ``rasa.server._load_agent``,
Rasa's own, runs in a worker thread with an event loop of its own, so the server's
loop keeps serving with the old agent while the new one loads; the handler then swaps
the agents as before (keeping the old lock store, so a conversation's messages stay
serialised across the swap). A message in flight keeps the agent it started with (the
channels look ``app.ctx.agent`` up per message) and the next one gets the new agent;
both agents' tracker stores are the same database, so no event is lost.

Left to Rasa's own path (on the server's loop, as before): a model server or remote
storage (they schedule model pulling on the server's loop) and an event broker (it
would belong to the worker thread's loop, gone after the load).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

logger = logging.getLogger(__name__)

# Rasa's own, kept for the wrapper and the tests.
rasa_load_agent: Any = None


def _on_the_servers_loop(model_server: Any, remote_storage: Any, endpoints: Any) -> bool:
    return bool(
        model_server is not None
        or remote_storage is not None
        or (endpoints is not None and (endpoints.model is not None or endpoints.event_broker is not None))
    )


async def _load_agent(
    model_path: Any = None, model_server: Any = None, remote_storage: Any = None, endpoints: Any = None
) -> Any:
    loading = rasa_load_agent(model_path=model_path, model_server=model_server,
                              remote_storage=remote_storage, endpoints=endpoints)
    if _on_the_servers_loop(model_server, remote_storage, endpoints):
        return await loading
    logger.info("loading the model %s beside the running one", model_path)
    return await asyncio.to_thread(asyncio.run, loading)


def install() -> None:
    """Patch rasa.server._load_agent, which the ``PUT /model`` handler calls (idempotent)."""
    global rasa_load_agent
    import rasa.server

    if rasa_load_agent is None:
        rasa_load_agent = rasa.server._load_agent
    rasa.server._load_agent = _load_agent
