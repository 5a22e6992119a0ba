import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["broker"] != "ok"


def test_openapi_schema_builds_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text()
    for path in ["/api/v1/agents/", "/api/v1/agents/{slug}/deploy/", "/api/v1/agents/{slug}/keys/{prefix}/"]:
        assert path in text


@pytest.mark.django_db
def test_api_docs_are_served_from_our_own_static_files(admin_client):
    response = admin_client.get("/api/docs/")
    assert response.status_code == 200
    assert b"cdn." not in response.content
    assert b"/static/drf_spectacular_sidecar/" in response.content


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_deploy_check_is_clean_in_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "-a-real-production-secret-" + "y" * 30,
        ALLOWED_HOSTS="agentgov.example.com",
        AUDIT_SIGNING_KEY="z" * 48,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "DEBUG": "0"},
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=0" in result.stderr


def test_a_bad_boolean_setting_fails_loudly():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_every_environment_variable_is_documented_in_env_example():
    import re

    read = set()
    for source in [ROOT / "agentgov" / "settings.py", ROOT / "Procfile", ROOT / "Makefile"]:
        read |= set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source.read_text()))
        read |= set(re.findall(r"\$\{?\$?\{?([A-Z][A-Z_]+):-", source.read_text()))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert {"DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "AGENTGOV_BIND"} <= read, read
    assert read - documented == set()


def test_make_run_web_server_does_not_keep_a_connection_per_request_thread():
    (web,) = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")]
    assert "runserver" in web and "DATABASE_CONN_MAX_AGE=0 " in web


def test_links_in_notifications_follow_the_port_make_run_serves_on():
    env = {k: v for k, v in os.environ.items() if k != "AGENTGOV_BASE_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.AGENTGOV_BASE_URL)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "AGENTGOV_BIND": "127.0.0.1:8771"},
    )
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8771", result.stderr


def test_a_retention_under_six_months_is_refused_unless_allowed():
    refused = _manage("check", AUDIT_RETENTION_DAYS="90")
    assert refused.returncode != 0
    assert "AUDIT_RETENTION_DAYS=90 is under 183 days" in refused.stderr
    allowed = _manage("check", AUDIT_RETENTION_DAYS="90", AUDIT_RETENTION_ALLOW_SHORT="1")
    assert allowed.returncode == 0, allowed.stderr


def test_production_settings_refuse_to_start_without_an_audit_signing_key():
    result = _manage("check", DEBUG="0", SECRET_KEY="s" * 60, AUDIT_SIGNING_KEY="")
    assert result.returncode != 0
    assert "AUDIT_SIGNING_KEY must be set when DEBUG=0" in result.stderr


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_postgresql_prepares_the_statements_a_connection_runs_often():
    from apps.registry.authentication import key_with_agent

    for _ in range(6):
        key_with_agent("agk_nosuchkey")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%prefix%"])
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("registry_agentkey" in statement for statement in prepared), prepared


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    show = "from django.db import connection; print(connection.features.uses_server_side_binding)"
    postgres = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/agentgov")
    assert _manage("shell", "-c", show, DATABASE_URL=postgres).stdout.split()[-1] == "True"
    off = _manage("shell", "-c", show, DATABASE_URL=postgres, DATABASE_PREPARED_STATEMENTS="0")
    assert off.stdout.split()[-1] == "False", off.stderr


def test_a_web_process_loads_every_view_and_hides_it_from_the_garbage_collector():
    """Full collections walking Django and plotly mid-request were the trail's slow 5%."""
    check = (
        "import gc, sys; from agentgov.wsgi import application; "
        "print(gc.get_freeze_count() > 100_000, 'apps.audit.views.trail' in sys.modules)"
    )
    result = _manage("shell", "-c", check)
    assert result.stdout.split()[-2:] == ["True", "True"], result.stderr
