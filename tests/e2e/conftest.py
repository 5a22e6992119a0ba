"""Browser tests: a real headless Chromium, driven by Playwright, against live_server."""

from pathlib import Path

import pytest

from apps.accounts.roles import Role, role_group

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _ensure_roles() -> None:
    for role in Role:
        role_group(role)


@pytest.fixture(scope="session", autouse=True)
def _roles_survive_live_server_flushes(django_db_setup, django_db_blocker):
    """live_server tests empty every table afterwards, including the role groups that a
    data migration created; put them back so --reuse-db runs that follow still find them."""
    yield
    with django_db_blocker.unblock():
        _ensure_roles()


@pytest.fixture
def roles(transactional_db):
    # A flush by an earlier transactional test may have taken the groups with it.
    _ensure_roles()


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module, closed before other modules run.

    Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
    from a thread with a running loop unless told it is deliberate. The permission lasts
    only as long as the browser, so no other test (or subprocess it starts, such as
    `check --deploy`) inherits it.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
