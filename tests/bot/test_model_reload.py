"""``PUT /model`` loads beside the running model (bot/model_reload.py), in-process: Rasa's
own ``_load_agent`` runs off the server's event loop, which keeps running meanwhile;
a model server, remote storage or event broker keeps Rasa's own path. The real
reload under traffic is tests/cluster/test_model_reload.py."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest
import rasa.server
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig

from bot import model_reload


@pytest.fixture
def slow_rasa_load(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Rasa's _load_agent stood in by one that blocks its thread for 0.5 s, as a model load does."""
    threads: list[str] = []

    async def load(**kwargs):
        threads.append(threading.current_thread().name)
        time.sleep(0.5)
        return "agent"

    model_reload.install()
    monkeypatch.setattr(model_reload, "rasa_load_agent", load)
    return threads


def test_install_patches_the_handlers_loader():
    model_reload.install()
    model_reload.install()
    assert rasa.server._load_agent is model_reload._load_agent
    assert model_reload.rasa_load_agent is not model_reload._load_agent


def test_a_model_file_loads_off_the_event_loop(slow_rasa_load):
    async def reload_while_ticking() -> tuple[object, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(tick())
        agent = await rasa.server._load_agent(model_path="models/dealer.tar.gz", endpoints=AvailableEndpoints())
        ticking.cancel()
        return agent, ticks

    agent, ticks = asyncio.run(reload_while_ticking())
    assert agent == "agent"
    assert slow_rasa_load and slow_rasa_load[0] != threading.main_thread().name
    assert ticks > 10  # the loop went on during the 0.5 s load


@pytest.mark.parametrize("given", [
    {"model_server": EndpointConfig("http://models.example/dealer.tar.gz")},
    {"remote_storage": "aws"},
    {"endpoints": AvailableEndpoints(event_broker=EndpointConfig(type="pika"))},
])
def test_pulled_models_and_event_brokers_keep_rasas_own_path(slow_rasa_load, given):
    asyncio.run(rasa.server._load_agent(model_path="models/dealer.tar.gz", **given))
    assert slow_rasa_load == [threading.main_thread().name]
