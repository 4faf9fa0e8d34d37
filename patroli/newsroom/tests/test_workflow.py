"""The editorial workflow: who writes, who approves, revisions, scheduling, slugs.

Through the newsroom pages in /app/berita/ and the staff API, with the personas of conftest.
"""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from patroli.newsroom.models import Release, Revision
from patroli.newsroom.services import (
    NewsroomError,
    create_release,
    publish_release,
    submit_for_review,
    unpublish_release,
    update_release,
)
from patroli.patrols.services import DialogueData, ParticipantData, record_visit

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
TITLE = "Polsek Sepaku Gelar Patroli Dialogis di Kantor PPS Desa Bumi Harapan"
BODY = (
    "Sepaku, 23 Januari 2024 – Polsek Sepaku menggelar patroli dialogis.\n\n"
    "Kapolsek mengajak warga menjaga **keamanan** menjelang pemungutan suara."
)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def demo_visit(world):
    visit, _ = record_visit(
        recorded_by=world.kapolsek,
        officers=[world.kapolsek, world.officer],
        site=world.pps_bumi,
        started_at=datetime(2024, 1, 23, 10, 0, tzinfo=WITA),
        ended_at=datetime(2024, 1, 23, 11, 15, tzinfo=WITA),
        dialogue=DialogueData(participants=[ParticipantData("Suparno", "Ketua PPS")]),
    )
    return visit


def write(world, *, unit=None, title=TITLE, body=BODY, author=None) -> Release:
    return create_release(
        author=author or world.humas,
        unit=unit or world.sepaku,
        title=title,
        body=body,
        dateline="Sepaku, 23 Januari 2024 –",
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_url(release) -> str:
    return f"/app/berita/{release.pk}/"


def form_data(release, action="save", **changes) -> dict:
    data = {
        "title": release.title,
        "dateline": release.dateline,
        "body": release.body,
        "action": action,
    }
    data.update(changes)
    return data


def api_publish(client, release, **body):
    return client.post(
        f"/api/v1/releases/{release.pk}/publish", body, content_type="application/json"
    )


def fresh(release) -> Release:
    return Release.objects.get(pk=release.pk)


def public_sees(release) -> dict:
    """Where the public finds ``release``: list, detail, feed, sitemap, public API list/detail."""
    anon = Client()
    return {
        "list": release.title.encode() in anon.get("/berita/").content,
        "detail": anon.get(f"/berita/{release.slug}/").status_code == 200,
        "feed": f"/berita/{release.slug}/".encode() in anon.get("/berita/feed/").content,
        "sitemap": f"/berita/{release.slug}/".encode() in anon.get("/sitemap.xml").content,
        "api list": any(
            r["slug"] == release.slug for r in anon.get("/api/v1/public/releases").json()["items"]
        ),
        "api detail": anon.get(f"/api/v1/public/releases/{release.slug}").status_code == 200,
    }


NOWHERE = dict.fromkeys(["list", "detail", "feed", "sitemap", "api list", "api detail"], False)
EVERYWHERE = dict.fromkeys(NOWHERE, True)


# Who may write


class TestOfficerCannotWrite:
    def test_desk_pages_answer_404(self, world):
        release = write(world)
        client = logged_in(world.officer)
        assert client.get("/app/berita/").status_code == 404
        assert client.get(edit_url(release)).status_code == 404
        assert client.post(edit_url(release), form_data(release, title="Diubah")).status_code == 404
        assert client.get("/app/berita/komentar/").status_code == 404
        assert fresh(release).title == TITLE

    def test_draft_from_visit_page_answers_404(self, world):
        visit = demo_visit(world)
        response = logged_in(world.officer).post(f"/app/berita/dari-kunjungan/{visit.pk}/")
        assert response.status_code == 404
        assert not Release.objects.exists()

    def test_anonymous_is_sent_to_log_in(self, world, client):
        response = client.get("/app/berita/")
        assert response.status_code == 302
        assert response["Location"].startswith("/masuk/")

    def test_api_answers_403(self, world, api):
        release = write(world)
        officer = api(world.officer)
        created = officer.post(
            "/api/v1/releases",
            {"title": "Judul rilis", "body": "Isi."},
            content_type="application/json",
        )
        assert created.status_code == 403
        patched = officer.patch(
            f"/api/v1/releases/{release.pk}",
            {"title": "Diubah oleh petugas"},
            content_type="application/json",
        )
        assert patched.status_code == 403
        published = api_publish(officer, release)
        assert published.status_code == 403
        release = fresh(release)
        assert (release.title, release.status) == (TITLE, "draft")
        assert Release.objects.count() == 1

    def test_service_refuses(self, world):
        with pytest.raises(NewsroomError) as refused:
            write(world, author=world.officer)
        assert refused.value.status == 403
        assert not Release.objects.exists()


# Who approves


class TestApproverIsCommander:
    """The default: PATROLI_RELEASE_APPROVER = "commander"."""

    @pytest.fixture(autouse=True)
    def approver(self, settings):
        settings.PATROLI_RELEASE_APPROVER = "commander"

    def test_humas_writes_and_submits_but_cannot_publish(self, world):
        client = logged_in(world.humas)
        assert client.get("/app/berita/").status_code == 200
        release = write(world)
        response = client.post(edit_url(release), form_data(release, "submit", title="Judul Baru"))
        assert response.status_code == 302
        release = fresh(release)
        assert (release.title, release.status) == ("Judul Baru", "review")

        page = client.get(edit_url(release))
        assert b'value="publish"' not in page.content

        response = client.post(edit_url(release), form_data(release, "publish"))
        assert response.status_code == 200  # the form again, with the refusal
        assert response.context["form"].non_field_errors()
        release = fresh(release)
        assert release.status == "review" and release.published_at is None

    def test_humas_cannot_publish_through_the_api(self, world, api):
        release = write(world)
        response = api_publish(api(world.humas), release)
        assert response.status_code == 403
        assert fresh(release).status == "draft"

    def test_commander_publishes(self, world):
        release = submit_for_review(release=write(world), actor=world.humas)
        client = logged_in(world.commander)
        assert b'value="publish"' in client.get(edit_url(release)).content
        response = client.post(edit_url(release), form_data(release, "publish"))
        assert response.status_code == 302
        release = fresh(release)
        assert release.status == "published" and release.is_live

    def test_commander_publishes_through_the_api(self, world, api):
        release = write(world)
        response = api_publish(api(world.commander), release)
        assert response.status_code == 200
        assert response.json()["status"] == "published"
        assert fresh(release).is_live

    def test_admin_always_publishes(self, world, api):
        release = write(world)
        response = api_publish(api(world.admin), release)
        assert response.status_code == 200
        assert fresh(release).is_live


class TestApproverIsHumas:
    @pytest.fixture(autouse=True)
    def approver(self, settings):
        settings.PATROLI_RELEASE_APPROVER = "humas"

    def test_humas_publishes(self, world, api):
        release = write(world)
        response = logged_in(world.humas).post(edit_url(release), form_data(release, "publish"))
        assert response.status_code == 302
        assert fresh(release).is_live

        other = write(world, title="Rilis kedua")
        assert api_publish(api(world.humas), other).status_code == 200
        assert fresh(other).is_live

    def test_commander_cannot(self, world, api):
        release = write(world)
        client = logged_in(world.commander)
        assert b'value="publish"' not in client.get(edit_url(release)).content
        response = client.post(edit_url(release), form_data(release, "publish"))
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert api_publish(api(world.commander), release).status_code == 403
        assert fresh(release).status == "draft"

    def test_commander_still_writes(self, world):
        release = write(world)
        response = logged_in(world.commander).post(
            edit_url(release), form_data(release, "submit", body=BODY + "\n\nTambahan.")
        )
        assert response.status_code == 302
        assert fresh(release).status == "review"

    def test_admin_always(self, world):
        release = write(world)
        response = logged_in(world.admin).post(edit_url(release), form_data(release, "publish"))
        assert response.status_code == 302
        assert fresh(release).is_live

    def test_nobody_else_unpublishes(self, world):
        release = publish_release(release=write(world), actor=world.humas)
        with pytest.raises(NewsroomError) as refused:
            unpublish_release(release=release, actor=world.commander)
        assert refused.value.status == 403
        assert fresh(release).is_live


# Units


class TestOtherUnits:
    @pytest.fixture(autouse=True)
    def approver(self, settings):
        settings.PATROLI_RELEASE_APPROVER = "commander"

    def test_release_of_another_unit_answers_404(self, world, api):
        theirs = write(world, unit=world.penajam, title="Rilis Polsek Penajam")
        client = logged_in(world.kapolsek)  # commander of Polsek Sepaku
        assert client.get(edit_url(theirs)).status_code == 404
        assert client.post(edit_url(theirs), form_data(theirs, "publish")).status_code == 404
        assert theirs.title.encode() not in client.get("/app/berita/").content

        token = api(world.kapolsek)
        assert token.get(f"/api/v1/releases/{theirs.pk}").status_code == 404
        patch = token.patch(
            f"/api/v1/releases/{theirs.pk}", {"title": "Diubah"}, content_type="application/json"
        )
        assert patch.status_code == 404
        assert api_publish(token, theirs).status_code == 404
        assert [r["id"] for r in token.get("/api/v1/releases").json()["items"]] == []
        theirs = fresh(theirs)
        assert (theirs.title, theirs.status) == ("Rilis Polsek Penajam", "draft")

    def test_polres_sees_both_polsek(self, world):
        ours = write(world, title="Rilis Sepaku")
        theirs = write(world, unit=world.penajam, title="Rilis Penajam")
        client = logged_in(world.humas)
        desk = client.get("/app/berita/").content
        assert b"Rilis Sepaku" in desk and b"Rilis Penajam" in desk
        assert client.get(edit_url(ours)).status_code == 200
        assert client.get(edit_url(theirs)).status_code == 200

    def test_admin_sees_everything(self, world):
        theirs = write(world, unit=world.penajam)
        assert logged_in(world.admin).get(edit_url(theirs)).status_code == 200


# Revisions


class TestRevisions:
    @pytest.fixture(autouse=True)
    def approver(self, settings):
        settings.PATROLI_RELEASE_APPROVER = "commander"

    def test_each_change_records_editor_and_fields(self, world, api):
        release = write(world)
        logged_in(world.humas).post(
            edit_url(release),
            form_data(release, dateline="Sepaku –", body=BODY + "\n\nParagraf baru."),
        )
        api(world.commander).patch(
            f"/api/v1/releases/{release.pk}",
            {"title": "Judul dari Kapolres"},
            content_type="application/json",
        )
        logged_in(world.humas).post(edit_url(fresh(release)), form_data(fresh(release), "submit"))
        logged_in(world.commander).post(edit_url(release), form_data(fresh(release), "publish"))
        got = [
            (r.action, r.editor.username, r.changed)
            for r in Revision.objects.filter(release=release).select_related("editor")
        ]
        assert got == [
            ("created", "humas.ppu", ["title", "dateline", "body"]),
            ("edited", "humas.ppu", ["dateline", "body"]),
            ("edited", "kapolres.ppu", ["title"]),
            ("submitted", "humas.ppu", ["status"]),
            ("published", "kapolres.ppu", ["status"]),
        ]
        # Each revision keeps the text as it then was.
        titles = list(Revision.objects.filter(release=release).values_list("title", flat=True))
        assert titles[:2] == [TITLE, TITLE] and titles[2:] == ["Judul dari Kapolres"] * 3

    def test_saving_unchanged_records_nothing(self, world):
        release = write(world)
        logged_in(world.humas).post(edit_url(release), form_data(release))
        assert list(release.revisions.values_list("action", flat=True)) == ["created"]

    def test_browser_line_ends_are_not_a_change(self, world):
        release = write(world)
        crlf = form_data(release, body=release.body.replace("\n", "\r\n"))
        logged_in(world.humas).post(edit_url(release), crlf)
        assert list(release.revisions.values_list("action", flat=True)) == ["created"]

    def test_history_is_shown_on_the_edit_page(self, world):
        release = write(world)
        update_release(release=release, editor=world.commander, title="Judul dari Kapolres")
        page = logged_in(world.humas).get(edit_url(release)).content.decode()
        assert world.commander.display_name in page
        assert "edited: title" in page

    def test_unknown_fields_are_refused(self, world):
        release = write(world)
        with pytest.raises(NewsroomError):
            update_release(release=release, editor=world.humas, status="published")
        assert fresh(release).status == "draft"

    def test_preview_saves_nothing(self, world):
        release = write(world)
        response = logged_in(world.humas).post(
            edit_url(release), form_data(release, "preview", body="**Pratinjau** saja")
        )
        assert response.status_code == 200
        assert "<strong>Pratinjau</strong>" in response.context["preview"]
        assert fresh(release).body == BODY
        assert release.revisions.count() == 1


# Scheduling and unpublishing


class TestScheduling:
    @pytest.fixture(autouse=True)
    def approver(self, settings):
        settings.PATROLI_RELEASE_APPROVER = "commander"

    def test_future_time_keeps_the_release_away_until_then(self, world):
        at = timezone.now() + timedelta(days=2)
        release = publish_release(release=write(world), actor=world.admin, at=at)
        assert release.status == "published" and release.is_scheduled
        assert release.revisions.last().action == "scheduled"
        assert public_sees(release) == NOWHERE

        with mock.patch("django.utils.timezone.now", return_value=at + timedelta(minutes=1)):
            assert public_sees(release) == EVERYWHERE

    def test_scheduling_from_the_desk_page(self, world):
        release = write(world)
        at = timezone.localtime() + timedelta(days=1)
        response = logged_in(world.commander).post(
            edit_url(release),
            form_data(release, "publish", publish_at=at.strftime("%Y-%m-%dT%H:%M")),
        )
        assert response.status_code == 302
        release = fresh(release)
        assert release.status == "published" and release.is_scheduled
        assert abs(release.published_at - at) < timedelta(minutes=1)
        assert public_sees(release) == NOWHERE

        Release.objects.filter(pk=release.pk).update(
            published_at=timezone.now() - timedelta(minutes=5)
        )
        assert public_sees(release) == EVERYWHERE

    def test_scheduling_through_the_api(self, world, api):
        release = write(world)
        at = (timezone.now() + timedelta(hours=6)).replace(microsecond=0)
        response = api(world.commander).post(
            f"/api/v1/releases/{release.pk}/publish",
            {"at": at.isoformat()},
            content_type="application/json",
        )
        assert response.status_code == 200
        assert response.json()["status"] == "published"
        assert fresh(release).published_at == at
        assert public_sees(release) == NOWHERE

    def test_republishing_a_live_release_is_a_conflict(self, world, api):
        release = publish_release(release=write(world), actor=world.admin)
        response = api_publish(api(world.commander), release)
        assert response.status_code == 409

    def test_unpublish_hides_it_again(self, world):
        release = publish_release(release=write(world), actor=world.admin)
        assert public_sees(release) == EVERYWHERE
        response = logged_in(world.commander).post(
            edit_url(release), form_data(release, "unpublish")
        )
        assert response.status_code == 302
        release = fresh(release)
        assert release.status == "draft"
        assert release.revisions.last().action == "unpublished"
        assert public_sees(release) == NOWHERE

    def test_draft_and_review_are_never_public(self, world):
        draft = write(world, title="Masih draf")
        review = submit_for_review(release=write(world, title="Sedang ditinjau"), actor=world.humas)
        # Even with a time set, only the published status makes a release public.
        Release.objects.filter(pk__in=[draft.pk, review.pk]).update(
            published_at=timezone.now() - timedelta(days=1)
        )
        assert public_sees(fresh(draft)) == NOWHERE
        assert public_sees(fresh(review)) == NOWHERE


# Slugs


class TestSlugs:
    def test_same_title_gets_a_unique_slug(self, world):
        first = write(world)
        second = write(world)
        assert first.slug == "polsek-sepaku-gelar-patroli-dialogis-di-kantor-pps-desa-bumi-harapan"
        assert second.slug == f"{first.slug}-2"

    def test_draft_slug_follows_the_title(self, world):
        release = write(world)
        release = update_release(
            release=release, editor=world.humas, title="Judul Lain Sama Sekali"
        )
        assert release.slug == "judul-lain-sama-sekali"

    def test_slug_is_stable_after_publication(self, world):
        release = publish_release(release=write(world), actor=world.admin)
        slug = release.slug
        response = logged_in(world.humas).post(
            edit_url(release), form_data(release, title="Ralat: Judul yang Diperbaiki")
        )
        assert response.status_code == 302
        release = fresh(release)
        assert release.title == "Ralat: Judul yang Diperbaiki"
        assert release.slug == slug
        assert release.is_live  # corrections keep it published
        page = Client().get(f"/berita/{slug}/")
        assert page.status_code == 200
        assert "Ralat: Judul yang Diperbaiki" in page.content.decode()

    def test_title_without_letters_still_gets_a_slug(self, world):
        release = write(world, title="!!! ???")
        assert release.slug == "berita"
        assert write(world, title="…").slug == "berita-2"
