"""Helpers for tests that drive a real Chromium through Playwright."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# database access from it ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}

# The elements that stick out on the right, to say in a failure what makes the page too wide.
WIDE_ELEMENTS = """(limit) => Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > limit)
    .slice(0, 8)
    .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.className && typeof el.className === "string" ? "." + el.className : "")
        + " right=" + Math.round(el.getBoundingClientRect().right))"""


@contextmanager
def phone(**context_options):
    """A page in a fresh Chromium with a phone-sized viewport (or ``viewport=`` another); the
    test fails if a page breaks the Content-Security-Policy.

    While Playwright runs, Django keeps a *second* database connection for this thread (asgiref
    stores connections per context when an event loop runs), which nobody closes and which makes
    PostgreSQL refuse to drop the test database. So: no database access inside this block.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        context = browser.new_context(**{"viewport": PHONE, **context_options})
        context.set_default_timeout(15_000)
        # Chromium enforces the Content-Security-Policy and says in the console what it refused:
        # a test whose pages broke the policy fails, whatever it checked itself.
        refused = []

        def note_refusal(message):
            if "Content Security Policy" in message.text:
                refused.append(f"{message.page.url if message.page else '?'}: {message.text}")

        context.on("console", note_refusal)
        try:
            yield context.new_page()
            if refused:
                pytest.fail("Content-Security-Policy violations:\n" + "\n".join(refused))
        finally:
            context.close()
            browser.close()
    finally:
        playwright.stop()


def sideways_scroll(page) -> list[str]:
    """[] when the page fits the phone's width, else what sticks out."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= PHONE["width"]:
        return []
    wide = page.evaluate(WIDE_ELEMENTS, PHONE["width"])
    return [f"{page.url} is {width}px wide: {wide}"]


def wait_until(page, expression: str, timeout_ms: int = 15_000) -> None:
    """Wait until the JavaScript ``expression`` is true in ``page``. Playwright's
    wait_for_function evaluates its string with eval, which our Content-Security-Policy refuses
    (no 'unsafe-eval'); page.evaluate goes through the debugger, which it does not restrict."""
    waited = 0
    while not page.evaluate(expression):
        if waited >= timeout_ms:
            pytest.fail(f"still false after {timeout_ms} ms: {expression}")
        page.wait_for_timeout(100)
        waited += 100
