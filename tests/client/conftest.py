import pytest

from agentgov.client import Client
from apps.registry import services
from tests.client.fake_server import Scripted, serve


@pytest.fixture
def agent_key(admin, live_agent):
    return services.agent_key_create(agent=live_agent, actor=admin)[1]


@pytest.fixture
def sdk(live_server, agent_key):
    """An SDK client of `live_agent` talking HTTP to a live agentgov started by the test."""
    client = Client(live_server.url, agent_key, flush_interval=0.05, backoff=0.05, max_backoff=0.5)
    yield client
    client.close(timeout=30)


@pytest.fixture
def server():
    """server(reply, ...) or server(respond=fn): a scripted stand-in for agentgov (fake_server.py)."""
    servers = []

    def start(*replies, gate=None, respond=None) -> Scripted:
        script = Scripted(replies=list(replies), gate=gate, respond=respond)
        servers.append(serve(script))
        return script

    yield start
    for running in servers:
        running.shutdown()
        running.server_close()
