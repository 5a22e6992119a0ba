import pytest

from apps.alerts import services
from apps.alerts.models import Channel
from apps.alerts.tasks import deliver, fan_out
from tests.alerts.receiver import webhook_receiver


@pytest.fixture
def receiver():
    with webhook_receiver() as rx:
        yield rx


@pytest.fixture
def queued(monkeypatch):
    """Tasks are recorded instead of published: [(task name, args)]."""
    calls: list[tuple[str, tuple]] = []
    for task in (fan_out._get_current_object(), deliver._get_current_object()):
        monkeypatch.setattr(
            task, "delay", lambda *args, _name=task.name: calls.append((_name, args)), raising=False
        )
    return calls


@pytest.fixture
def inline(monkeypatch):
    """Tasks run in the test's process where they are enqueued (the worker path has its own tests)."""
    monkeypatch.setattr(
        fan_out._get_current_object(), "delay", lambda *args: fan_out.run(*args), raising=False
    )
    monkeypatch.setattr(
        deliver._get_current_object(), "delay", lambda *args: deliver.apply(args), raising=False
    )


@pytest.fixture
def webhook(admin, receiver):
    def make(**fields) -> Channel:
        values = {
            "kind": "webhook",
            "name": "ops hook",
            "target": receiver.url,
            "min_severity": "info",
        } | fields
        return services.channel_create(actor=admin, **values)

    return make


def fire(**fields):
    values = {
        "fingerprint": "test:disk",
        "kind": "threshold",
        "severity": "critical",
        "title": "Disk on fire",
        "summary": "It is hot.",
    } | fields
    return services.alert_fire(**values)
