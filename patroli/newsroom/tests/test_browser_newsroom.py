"""Humas drafts a release from a patrol, edits and publishes it; a resident comments; humas
approves the comment, which then shows (Chromium)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import PASSWORD
from patroli.core.testing import phone, sideways_scroll
from patroli.newsroom.models import Comment, Release
from patroli.patrols.models import Appeal
from patroli.patrols.services import DialogueData, ParticipantData, record_visit

RELEASE_SCREENSHOT = "/tmp/patroli-release.png"  # noqa: S108
WITA = ZoneInfo("Asia/Makassar")


def log_in(page, base, user, next_url):
    page.goto(f"{base}/masuk/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}{next_url}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_draft_publish_comment_moderate(live_server, libraries, world, settings):
    from playwright.sync_api import expect

    settings.PATROLI_RELEASE_APPROVER = "humas"
    world.kapolsek.position = "Kapolsek Sepaku"
    world.kapolsek.save()
    visit, _ = record_visit(
        recorded_by=world.kapolsek,
        officers=[world.kapolsek, world.officer],
        site=world.pps_bumi,
        started_at=datetime(2024, 1, 23, 10, 0, tzinfo=WITA),
        ended_at=datetime(2024, 1, 23, 11, 15, tzinfo=WITA),
        dialogue=DialogueData(
            participants=[ParticipantData("Suparno", "Ketua PPS", "PPS Desa Bumi Harapan")],
            attendees=9,
            appeals=list(Appeal.objects.filter(code__in=["kamtibmas-pemilu", "partisipasi-warga"])),
            response="positive",
        ),
    )
    base = live_server.url
    too_wide = []
    with phone() as page:
        log_in(page, base, world.humas, "/app/berita/")
        page.get_by_role("button", name=re.compile("Tulis rilis|Draft a release")).first.click()
        page.wait_for_url(re.compile(r"/app/berita/\d+/$"))
        title = page.locator("#id_title").input_value()
        assert "Polsek Sepaku" in title and "Bumi Harapan" in title
        body = page.locator("#id_body").input_value()
        assert body.startswith("Sepaku, 23 Januari 2024 –")
        page.fill("#id_body", body + "\n\nWarga dapat melapor melalui layanan **110**.")
        page.click("button[value=preview]")
        expect(page.locator(".preview strong")).to_have_text("110")
        page.click("button[value=publish]")
        expect(page.locator(".messages")).to_be_visible()
        link = page.locator("a", has_text=re.compile("Lihat di situs|View on the site"))
        public_url = link.get_attribute("href")
        too_wide += sideways_scroll(page)

    with phone(locale="id-ID") as page:
        page.goto(f"{base}{public_url}")
        expect(page.locator("h1")).to_contain_text("Polsek Sepaku")
        expect(page.locator(".release-body strong")).to_have_text("110")
        # The day's election stage, whichever phrasing the record picked.
        expect(page.locator(".release-body")).to_contain_text("masa kampanye")
        expect(page.locator(".release-body")).to_contain_text("14 Februari 2024")
        page.fill("#id_body", "Terima kasih, semoga pemilu di Bumi Harapan aman dan damai.")
        page.fill("#id_name", "Wahyu")
        page.fill("#id_email", "wahyu@warga.example")
        page.click("#comment-form button[type=submit]")
        expect(page.locator(".comments")).to_contain_text("menunggu moderasi")
        too_wide += sideways_scroll(page)

    with phone() as page:
        log_in(page, base, world.humas, "/app/berita/komentar/")
        row = page.locator("li.row", has_text="semoga pemilu di Bumi Harapan")
        row.locator("input[type=checkbox]").check()
        page.click("button[value=approved]")
        expect(page.locator(".messages")).to_be_visible()

    with phone(locale="id-ID") as page:  # a reader who did not write it
        page.goto(f"{base}{public_url}")
        comments = page.locator(".comments")
        expect(comments).to_contain_text("semoga pemilu di Bumi Harapan aman dan damai")
        expect(comments).not_to_contain_text("menunggu moderasi")
        expect(page.locator("main")).not_to_contain_text("wahyu@warga.example")
        page.screenshot(path=RELEASE_SCREENSHOT, full_page=True)
        too_wide += sideways_scroll(page)

    release = Release.objects.get()
    assert release.is_live and release.visit == visit
    assert "110" in release.body
    assert [r.action for r in release.revisions.order_by("id")] == [
        "created",
        "edited",
        "published",
    ]
    assert Comment.objects.get().status == Comment.Status.APPROVED
    assert not too_wide, too_wide
