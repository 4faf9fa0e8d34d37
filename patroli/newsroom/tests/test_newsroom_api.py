"""The staff API of the newsroom: drafting from a visit, releases, publication, moderation."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from patroli.newsroom.drafting import draft_release
from patroli.newsroom.models import Comment, Release, Revision
from patroli.newsroom.services import create_release, publish_release
from patroli.patrols.models import Appeal, Visit
from patroli.patrols.services import DialogueData, ParticipantData, record_visit

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
JSON = "application/json"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def approver(settings):
    settings.PATROLI_RELEASE_APPROVER = "commander"


def demo_visit(world, *, site=None, recorded_by=None, officers=None) -> Visit:
    visit, _ = record_visit(
        recorded_by=recorded_by or world.kapolsek,
        officers=officers if officers is not None else [world.kapolsek, world.officer],
        site=site or world.pps_bumi,
        started_at=datetime(2024, 1, 23, 10, 0, tzinfo=WITA),
        ended_at=datetime(2024, 1, 23, 11, 15, tzinfo=WITA),
        dialogue=DialogueData(
            participants=[ParticipantData("Suparno", "Ketua PPS", "PPS Desa Bumi Harapan")],
            attendees=9,
            topics=["Persiapan pemungutan suara"],
            appeals=list(Appeal.objects.filter(code__in=["kamtibmas-pemilu", "waspada-hoaks"])),
            response="positive",
        ),
    )
    return visit


def penajam_visit(world) -> Visit:
    return demo_visit(
        world,
        site=world.pps_penajam,
        recorded_by=world.other_officer,
        officers=[world.other_officer],
    )


def write(world, *, unit=None, title="Rilis Polsek Sepaku", body="Isi rilis.") -> Release:
    return create_release(author=world.humas, unit=unit or world.sepaku, title=title, body=body)


def errors_of(response) -> dict:
    """{field: message} of a 422 answer."""
    assert response.status_code == 422, response.content
    return {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}


# POST /api/v1/visits/{id}/draft-release


class TestDraftRelease:
    def url(self, visit):
        return f"/api/v1/visits/{visit.pk}/draft-release"

    @pytest.mark.parametrize("who", ["humas", "commander", "kapolsek", "admin"])
    def test_returns_the_draft_and_saves_nothing(self, world, api, who):
        visit = demo_visit(world)
        expected = draft_release(Visit.objects.with_details().get(pk=visit.pk))
        releases, revisions = Release.objects.count(), Revision.objects.count()

        response = api(getattr(world, who)).post(self.url(visit))

        assert response.status_code == 200, response.content
        assert response.json() == {
            "title": expected.title,
            "body": expected.body,
            "dateline": expected.dateline,
        }
        assert "Polsek Sepaku" in expected.title
        assert expected.body.startswith("Sepaku, 23 Januari 2024 –")
        assert Release.objects.count() == releases == 0
        assert Revision.objects.count() == revisions

    @pytest.mark.parametrize("who", ["officer", "other_officer", "no_unit"])
    def test_officers_get_403(self, world, api, who):
        response = api(getattr(world, who)).post(self.url(demo_visit(world)))
        assert response.status_code == 403
        assert not Release.objects.exists()

    def test_visit_of_another_unit_is_404(self, world, api):
        visit = penajam_visit(world)
        assert api(world.kapolsek).post(self.url(visit)).status_code == 404
        # The Polres above both may draft it.
        assert api(world.humas).post(self.url(visit)).status_code == 200

    def test_unknown_visit_is_404(self, world, api):
        response = api(world.humas).post(f"/api/v1/visits/{uuid.uuid4()}/draft-release")
        assert response.status_code == 404

    def test_needs_a_token(self, world):
        response = Client().post(self.url(demo_visit(world)))
        assert response.status_code == 401


# The desk's "Draft a release" button, which does save


class TestDraftFromVisitPage:
    def test_humas_gets_a_saved_draft_linked_to_the_visit(self, world):
        visit = demo_visit(world)
        expected = draft_release(Visit.objects.with_details().get(pk=visit.pk))
        client = Client()
        client.force_login(world.humas)
        assert visit.site.name.encode() in client.get("/app/berita/").content
        response = client.post(f"/app/berita/dari-kunjungan/{visit.pk}/")
        release = Release.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/app/berita/{release.pk}/"
        assert (release.title, release.body, release.dateline) == (
            expected.title,
            expected.body,
            expected.dateline,
        )
        assert release.visit_id == visit.pk and release.unit == world.sepaku
        assert release.status == "draft" and release.created_by == world.humas
        # Once drafted, the visit leaves the desk's list of patrols to write about.
        assert (
            f"/app/berita/dari-kunjungan/{visit.pk}/".encode()
            not in client.get("/app/berita/").content
        )

    def test_get_is_not_allowed(self, world):
        client = Client()
        client.force_login(world.humas)
        response = client.get(f"/app/berita/dari-kunjungan/{demo_visit(world).pk}/")
        assert response.status_code == 405
        assert not Release.objects.exists()

    def test_visit_of_another_unit_is_404(self, world):
        client = Client()
        client.force_login(world.kapolsek)
        response = client.post(f"/app/berita/dari-kunjungan/{penajam_visit(world).pk}/")
        assert response.status_code == 404
        assert not Release.objects.exists()


# /api/v1/releases


class TestReleases:
    def test_create_from_a_visit_takes_its_unit(self, world, api):
        visit = demo_visit(world)
        response = api(world.humas).post(
            "/api/v1/releases",
            {"title": "Patroli Dialogis", "body": "**Isi** rilis.", "visit": str(visit.pk)},
            content_type=JSON,
        )
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["unit"] == world.sepaku.pk
        assert data["visit"] == str(visit.pk)
        assert data["status"] == "draft"
        assert data["slug"] == "patroli-dialogis"
        assert data["body_html"] == "<p><strong>Isi</strong> rilis.</p>"
        assert data["published_at"] is None
        release = Release.objects.get(pk=data["id"])
        assert release.created_by == world.humas
        assert release.revisions.get().action == "created"

    def test_create_without_visit_takes_the_authors_unit(self, world, api):
        response = api(world.kapolsek).post(
            "/api/v1/releases", {"title": "Rilis Polsek", "body": "Isi."}, content_type=JSON
        )
        assert response.status_code == 201
        assert response.json()["unit"] == world.sepaku.pk

    def test_create_for_a_unit_below(self, world, api):
        response = api(world.humas).post(
            "/api/v1/releases",
            {"title": "Rilis Penajam", "body": "Isi.", "unit": world.penajam.pk},
            content_type=JSON,
        )
        assert response.status_code == 201
        assert response.json()["unit"] == world.penajam.pk

    def test_create_refuses_what_the_author_cannot_see(self, world, api):
        client = api(world.kapolsek)
        foreign_visit = client.post(
            "/api/v1/releases",
            {"title": "Rilis", "body": "Isi.", "visit": str(penajam_visit(world).pk)},
            content_type=JSON,
        )
        assert "visit" in errors_of(foreign_visit)
        foreign_unit = client.post(
            "/api/v1/releases",
            {"title": "Rilis", "body": "Isi.", "unit": world.polres.pk},
            content_type=JSON,
        )
        assert "unit" in errors_of(foreign_unit)
        assert not Release.objects.exists()

    def test_admin_without_unit_must_name_one(self, world, api):
        client = api(world.admin)
        response = client.post(
            "/api/v1/releases", {"title": "Rilis", "body": "Isi."}, content_type=JSON
        )
        assert "unit" in errors_of(response)
        response = client.post(
            "/api/v1/releases",
            {"title": "Rilis", "body": "Isi.", "unit": world.polda.pk},
            content_type=JSON,
        )
        assert response.status_code == 201

    def test_create_validates_the_text(self, world, api):
        client = api(world.humas)
        assert "title" in errors_of(
            client.post("/api/v1/releases", {"title": "ab", "body": "Isi."}, content_type=JSON)
        )
        assert "body" in errors_of(
            client.post("/api/v1/releases", {"title": "Judul", "body": ""}, content_type=JSON)
        )
        assert not Release.objects.exists()

    def test_list_shows_the_releases_of_the_subtree(self, world, api):
        ours = write(world)
        theirs = write(world, unit=world.penajam, title="Rilis Penajam")
        ids = {r["id"] for r in api(world.humas).get("/api/v1/releases").json()["items"]}
        assert ids == {ours.pk, theirs.pk}
        ids = {r["id"] for r in api(world.kapolsek).get("/api/v1/releases").json()["items"]}
        assert ids == {ours.pk}

    def test_get_one(self, world, api):
        release = write(world)
        response = api(world.kapolsek).get(f"/api/v1/releases/{release.pk}")
        assert response.status_code == 200
        assert response.json()["title"] == "Rilis Polsek Sepaku"
        assert api(world.other_officer).get(f"/api/v1/releases/{release.pk}").status_code == 404
        assert api(world.humas).get("/api/v1/releases/999999").status_code == 404

    def test_patch_changes_only_what_is_sent(self, world, api):
        release = write(world)
        response = api(world.commander).patch(
            f"/api/v1/releases/{release.pk}",
            {"body": "Isi **baru**.", "dateline": "Sepaku –"},
            content_type=JSON,
        )
        assert response.status_code == 200
        data = response.json()
        assert data["title"] == "Rilis Polsek Sepaku"
        assert data["body_html"] == "<p>Isi <strong>baru</strong>.</p>"
        assert data["dateline"] == "Sepaku –"
        revision = release.revisions.last()
        assert (revision.action, revision.editor) == ("edited", world.commander)
        assert sorted(revision.changed) == ["body", "dateline"]

    def test_patch_refuses_an_empty_text(self, world, api):
        release = write(world)
        response = api(world.humas).patch(
            f"/api/v1/releases/{release.pk}", {"body": "   "}, content_type=JSON
        )
        assert "body" in errors_of(response)
        assert Release.objects.get(pk=release.pk).body == "Isi rilis."

    def test_patch_cannot_change_the_status(self, world, api):
        release = write(world)
        response = api(world.humas).patch(
            f"/api/v1/releases/{release.pk}",
            {"status": "published", "title": "Judul baru"},
            content_type=JSON,
        )
        assert response.status_code == 200
        assert response.json()["status"] == "draft"

    def test_publish_now_and_at(self, world, api):
        now = write(world, title="Sekarang")
        response = api(world.commander).post(
            f"/api/v1/releases/{now.pk}/publish", {}, content_type=JSON
        )
        assert response.status_code == 200
        published_at = datetime.fromisoformat(response.json()["published_at"])
        assert abs(published_at - timezone.now()) < timedelta(minutes=1)

        later = write(world, title="Nanti")
        at = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
        response = api(world.commander).post(
            f"/api/v1/releases/{later.pk}/publish", {"at": at.isoformat()}, content_type=JSON
        )
        assert response.status_code == 200
        assert datetime.fromisoformat(response.json()["published_at"]) == at
        assert Release.objects.get(pk=later.pk).is_scheduled
        # A scheduled release may be moved to another time.
        sooner = at - timedelta(days=1)
        response = api(world.commander).post(
            f"/api/v1/releases/{later.pk}/publish", {"at": sooner.isoformat()}, content_type=JSON
        )
        assert response.status_code == 200
        assert Release.objects.get(pk=later.pk).published_at == sooner

    def test_staff_api_needs_a_token(self, world):
        assert Client().get("/api/v1/releases").status_code == 401
        assert (
            Client()
            .post("/api/v1/releases", {"title": "Judul", "body": "Isi."}, content_type=JSON)
            .status_code
            == 401
        )


# POST /api/v1/comments/{id}/moderate


class TestModerateApi:
    @pytest.fixture
    def held(self, world):
        release = publish_release(release=write(world), actor=world.admin)
        return Comment.objects.create(
            release=release, name="Warga", email="warga@example.org", body="Mohon info."
        )

    def url(self, comment):
        return f"/api/v1/comments/{comment.pk}/moderate"

    @pytest.mark.parametrize("who", ["humas", "commander", "kapolsek", "admin"])
    def test_staff_moderates(self, world, api, held, who):
        response = api(getattr(world, who)).post(
            self.url(held), {"status": "approved"}, content_type=JSON
        )
        assert response.status_code == 200
        assert response.json() == {"id": held.pk, "status": "approved"}
        held.refresh_from_db()
        assert held.moderated_by == getattr(world, who)
        assert held.moderated_at is not None
        assert b"warga@example.org" not in response.content

    def test_officer_gets_403(self, world, api, held):
        response = api(world.officer).post(
            self.url(held), {"status": "approved"}, content_type=JSON
        )
        assert response.status_code == 403
        held.refresh_from_db()
        assert held.status == "pending"

    def test_other_unit_gets_404(self, world, api, held):
        response = api(world.other_officer).post(
            self.url(held), {"status": "approved"}, content_type=JSON
        )
        assert response.status_code == 404

    def test_unknown_status_is_422(self, world, api, held):
        response = api(world.humas).post(self.url(held), {"status": "hidden"}, content_type=JSON)
        assert "status" in errors_of(response)
        held.refresh_from_db()
        assert held.status == "pending"
