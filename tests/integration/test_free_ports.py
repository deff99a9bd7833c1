"""The ports handed to the processes the tests start: never the same twice, and outside
the range the kernel gives to bind(0) and outgoing connections."""
from __future__ import annotations

import socket
from pathlib import Path

from devtools.stack import FIXED_PORTS_FROM, free_port


def test_free_ports_are_never_handed_out_twice_and_stay_below_the_ephemeral_range():
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    if low - FIXED_PORTS_FROM >= 1000:
        assert all(FIXED_PORTS_FROM <= port < low for port in ports)
    for port in ports[:20]:  # each is free to listen on
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))
            server.listen()


def test_a_port_in_use_or_handed_out_before_is_passed_over(monkeypatch):
    from devtools import stack

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        in_use = taken.getsockname()[1]
        given = free_port()
        monkeypatch.setattr(stack, "_candidate_ports", lambda: iter([in_use, given, in_use, 0]))
        port = free_port()
    assert port not in (in_use, given) and port > 0
