"""Shared by the export tests: a small trail with every kind of value, and bundle readers."""

import json
import os
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.audit.ingest import events_ingest

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "apps" / "audit" / "exports" / "offline.py"


@pytest.fixture
def exports_in_tmp(settings, tmp_path):
    """Bundles land under a throwaway VAR_DIR."""
    settings.VAR_DIR = tmp_path
    return tmp_path / "exports"


@pytest.fixture
def eager_tasks():
    """Tasks run inline where they are enqueued (the worker path has its own test)."""
    from agentgov.celery import app

    saved = {name: app.conf[name] for name in ("task_always_eager", "task_eager_propagates")}
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(saved)


def agent_run(agent, *, minutes_ago: int = 30) -> None:
    """What an agent reports: a decision with alternatives, a tool call with JSON, a cost."""
    start = timezone.now() - timedelta(minutes=minutes_ago)
    events_ingest(
        agent=agent,
        body={
            "events": [
                {
                    "id": "d1",
                    "type": "decision",
                    "occurred_at": start.isoformat(),
                    "trace_id": "t-1",
                    "span_id": "root",
                    "name": "plan",
                    "chosen": "refund",
                    "alternatives": [{"option": "refund", "score": 0.9}, {"option": "escalate"}],
                    "rationale": 'duplicate charge, "clearly", on two lines\nsecond line',
                },
                {
                    "id": "c1",
                    "type": "tool_call",
                    "occurred_at": (start + timedelta(seconds=1)).isoformat(),
                    "trace_id": "t-1",
                    "span_id": "s1",
                    "parent_span_id": "root",
                    "name": "stripe.refund",
                    "resource": "stripe:ch_123",
                    "input": {"amount": 40, "currency": "EUR", "note": "café"},
                    "output": {"id": "re_1", "memo": 'tab\there, "quoted", back\\slash\nnext line'},
                    "duration_ms": 312.5,
                    "cost_usd": 0.0123,
                    "tokens_in": 120,
                    "tokens_out": 30,
                },
            ]
        },
    )


def read_bundle(path: Path) -> tuple[dict, bytes, bytes, str]:
    """(manifest, manifest bytes, data bytes, signature)"""
    with zipfile.ZipFile(path) as bundle:
        manifest_bytes = bundle.read("manifest.json")
        manifest = json.loads(manifest_bytes)
        return (
            manifest,
            manifest_bytes,
            bundle.read(manifest["data_file"]),
            bundle.read("manifest.sig").decode().strip(),
        )


def rewrite_bundle(source: Path, target: Path, **replace: bytes) -> Path:
    """A copy of the bundle with some members' bytes replaced (keys: file names with . and - as _)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for name in original.namelist():
            copy.writestr(name, replace.get(name.replace(".", "_").replace("-", "_"), original.read(name)))
    return target


def verify_offline(bundle: Path, key: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """The offline verifier (served as verify_bundle.py) as an auditor runs it: a bare interpreter, no Django, no agentgov."""
    key_file = tmp_path / "signing.key"
    key_file.write_text(key + "\n")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}
    return subprocess.run(
        [sys.executable, "-I", "-S", str(VERIFIER), str(bundle), "--key-file", str(key_file)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )


def chained_events(agent, count: int, *, batch: int = 5000) -> None:
    """`count` log events about `agent`, properly linked into its chain, quickly."""
    from django.db import transaction

    from apps.audit.models import ActorType, AuditEvent
    from apps.audit.services import append_to_chain, locked_chain_head

    start = timezone.now() - timedelta(hours=2)
    for first in range(0, count, batch):
        events = [
            AuditEvent(
                type="log",
                name=f"bulk.{n}",
                actor_type=ActorType.AGENT,
                actor_agent=agent,
                actor_label=f"agent:{agent.slug}",
                agent=agent,
                occurred_at=start + timedelta(milliseconds=n),
                attributes={"n": n},
            )
            for n in range(first, min(first + batch, count))
        ]
        with transaction.atomic():
            append_to_chain(locked_chain_head(agent.pk), events)
