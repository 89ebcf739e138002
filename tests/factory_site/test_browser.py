"""Every page we ship, in headless Chromium, served as production serves it.

``collectstatic`` then ``gunicorn -c gunicorn.conf.py`` with the production settings (the
README's two steps, nothing in front): each page must load with no failed request, no response
of 400 or more, no console error, and visibly render (admin CSS applied, Swagger UI operations,
ReDoc title). Debian's chromium, driven by Playwright (no browser download). A screenshot of
each page and the load/idle timings go to var/test-artifacts/browser/.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from pathlib import Path

import pytest

from tests.servers import ARTIFACTS, Gunicorn, collectstatic, production_env, required_binary

SHOTS = ARTIFACTS / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update"]  # fmt: skip
TIMINGS: dict[str, dict] = {}


@pytest.fixture(scope="module")
def plant(django_db_setup, django_db_blocker):
    """A machine with two bearings, a day of readings, a spectrum, a run and a superuser."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from monitoring.services import latest_state_rebuild, rollups_rebuild
    from tests.factories import (
        BearingFactory,
        IngestionRunFactory,
        MachineFactory,
        ReadingFactory,
        SpectrumFactory,
        wipe_monitoring_data,
    )

    password = secrets.token_urlsafe(16)
    with django_db_blocker.unblock():
        wipe_monitoring_data()
        machine = MachineFactory(machine_name="Cooling pump 7", customer="Acme Paper")
        bearings = [BearingFactory(machine=machine, bearing_location=loc)
                    for loc in ("Motor DE", "Pump NDE")]  # fmt: skip
        start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=24)
        readings = [ReadingFactory(bearing=b, timestamp=start + dt.timedelta(hours=h))
                    for h in range(24) for b in bearings]  # fmt: skip
        SpectrumFactory(reading=readings[-1])
        IngestionRunFactory()
        rollups_rebuild()
        latest_state_rebuild()
        user = get_user_model().objects.create_superuser("browser-e2e", "b@example.com")
        # Hashed as production hashes (the test settings' MD5 hasher is not in production's list).
        hasher = PBKDF2PasswordHasher()
        user.password = hasher.encode(password, hasher.salt())
        user.save(update_fields=["password"])
        yield {"machine": machine, "reading": readings[-1], "user": "browser-e2e", "pw": password}
        wipe_monitoring_data()
        user.delete()


@pytest.fixture(scope="module")
def site(plant, tmp_path_factory):
    """gunicorn with the production settings, after collectstatic, as the README says."""
    tmp = tmp_path_factory.mktemp("browser-site")
    env = production_env(tmp)
    collectstatic(env)
    server = Gunicorn(env, tmp).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(site):
    """Headless Debian chromium (Playwright drives it; started after the data is made)."""
    from playwright.sync_api import sync_playwright

    executable = required_binary("chromium", "chromium")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    if TIMINGS:
        (SHOTS / "timings.json").write_text(json.dumps(TIMINGS, indent=2))


class Watched:
    """A page whose failed requests, error responses and console errors are collected."""

    def __init__(self, page):
        self.page, self.problems = page, []
        page.on("requestfailed", lambda r: self.problems.append(f"failed {r.url}: {r.failure}"))
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))

    def _response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"{response.status} {response.url}")

    def _console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location.get('url')})")

    def visit(self, url: str, name: str) -> None:
        """Load a page to network idle, record the timings, save a screenshot."""
        started = time.perf_counter()
        self.page.goto(url, wait_until="load")
        loaded = time.perf_counter()
        self.page.wait_for_load_state("networkidle")
        idle = time.perf_counter()
        TIMINGS[name] = {"load_ms": round((loaded - started) * 1000),
                         "idle_ms": round((idle - started) * 1000)}  # fmt: skip
        print(f"\n{name}: load {TIMINGS[name]['load_ms']} ms, idle {TIMINGS[name]['idle_ms']} ms")

    def finish(self, name: str) -> None:
        """Screenshot, then no problem may have been seen."""
        # The API docs are tens of thousands of pixels tall: their first screen is enough.
        full = name not in ("docs", "redoc")
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)
        assert self.problems == [], self.problems


@pytest.fixture(scope="module")
def staff(browser, site, plant):
    """A browser context logged in through the admin's login form."""
    context = browser.new_context()
    page = Watched(context.new_page())
    page.visit(f"{site.url}/admin/login/?next=/admin/", "admin-login")
    _assert_admin_styled(page.page)
    page.finish("admin-login")
    page.page.fill("#id_username", plant["user"])
    page.page.fill("#id_password", plant["pw"])
    page.page.click("input[type=submit]")
    page.page.wait_for_url(f"{site.url}/admin/")
    assert page.problems == []
    yield page
    context.close()


def _assert_admin_styled(page) -> None:
    """The admin's stylesheet applied: its header is coloured, not the browser's default."""
    background = page.eval_on_selector("#header", "e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), background


def test_static_files_come_from_the_app_compressed_and_cached(site):
    import httpx

    manifest = json.loads((Path(site.env["DJANGO_STATIC_ROOT"]) / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    response = httpx.get(f"{site.url}/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert "max-age=315360000" in response.headers["cache-control"]


def test_admin_login_and_index(staff, site):
    staff.visit(f"{site.url}/admin/", "admin-index")
    _assert_admin_styled(staff.page)
    assert staff.page.locator("#content-main .module").count() >= 2
    staff.finish("admin-index")


def test_machine_page_shows_its_bearings(staff, site, plant):
    staff.visit(f"{site.url}/admin/monitoring/machine/{plant['machine'].pk}/change/", "machine")
    _assert_admin_styled(staff.page)
    html = staff.page.content()
    assert "Cooling pump 7" in html and "Motor DE" in html and "Pump NDE" in html
    trends = staff.page.locator("svg:has(polyline)")
    assert trends.count() == 2  # one velocity trend per bearing
    for index in range(2):
        assert trends.nth(index).bounding_box()["width"] > 300
        # 24 hourly readings: 24 hourly rollup buckets.
        assert len(trends.nth(index).locator("polyline").get_attribute("points").split()) == 24
    staff.finish("machine")


def test_reading_page_draws_its_spectrum(staff, site, plant):
    staff.visit(f"{site.url}/admin/monitoring/reading/{plant['reading'].pk}/change/", "reading")
    _assert_admin_styled(staff.page)
    # The full range and the 0-10x shaft zoom; a stored spectrum alone has no envelope.
    charts = staff.page.locator("svg:has(polyline)")
    assert charts.count() == 2
    for index in range(2):
        chart = charts.nth(index)
        assert chart.bounding_box()["width"] > 300  # drawn at its size, not an empty element
        assert len(chart.locator("polyline").get_attribute("points").split()) > 100
    staff.finish("reading")


def test_swagger_ui_renders_every_operation(staff, site):
    staff.visit(f"{site.url}/docs", "docs")
    staff.page.wait_for_selector(".opblock", timeout=15000)
    assert staff.page.locator(".opblock").count() >= 10
    assert "Factory Monitoring API" in staff.page.locator(".info .title").inner_text()
    staff.finish("docs")


def test_redoc_renders_the_api(staff, site):
    staff.visit(f"{site.url}/redoc", "redoc")
    staff.page.wait_for_selector("h1", timeout=15000)
    assert "Factory Monitoring API" in staff.page.locator("h1").first.inner_text()
    assert staff.page.locator("[data-section-id^='operation/']").count() >= 10
    staff.finish("redoc")
