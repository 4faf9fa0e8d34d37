"""Each staff write leaves the right event in the audit trail, in the same transaction as the
write; logins leave theirs; secrets and residents' contact details stay out."""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from patroli.audit.models import ACTIONS, AuditEvent
from patroli.audit.services import verify_chain
from patroli.concerns.models import Category, Concern
from patroli.concerns.services import TransitionRefused, move_concern, open_concern
from patroli.core.models import Holiday
from patroli.newsroom.models import Comment
from patroli.newsroom.services import create_release, post_comment, publish_release
from patroli.regions.models import Region
from patroli.sites.importer import import_sites
from patroli.units.models import ApiToken

pytestmark = pytest.mark.django_db
JSON = "application/json"


def events(action: str | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.order_by("id")
    return list(found.filter(action=action) if action else found)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def as_text(event: AuditEvent) -> str:
    return json.dumps([event.before, event.after, event.object_id, event.actor_username])


def sepaku_concern(**fields) -> Concern:
    return open_concern(
        source="web",
        category=Category.objects.get(code="hoaks"),
        description="Pesan berantai tentang TPS.",
        village=Region.objects.get(code="64.09.04.2004"),
        reporter_name="Pelapor Rahasia",
        reporter_phone="0811000111",
        reporter_email="pelapor@example.id",
        **fields,
    )


@pytest.fixture(autouse=True)
def only_known_actions():
    yield
    recorded = set(AuditEvent.objects.values_list("action", flat=True))
    assert recorded <= set(ACTIONS), recorded - set(ACTIONS)
    assert verify_chain().ok


def test_visit_create_through_the_api(world, api):
    visit_id = str(uuid.uuid4())
    body = {
        "id": visit_id,
        "site": world.pps_bumi.pk,
        "started_at": "2024-01-23T10:00:00+08:00",
        "lat": -0.9241,
        "lon": 116.5832,
        "kind": "dialogic",
        "dialogue": {"participants": [{"name": "Suparno"}], "attendees": 9},
        "concerns": [{"category": "hoaks", "description": "Pesan berantai keliru soal TPS."}],
    }
    client = api(world.officer)
    extra = {"REMOTE_ADDR": "10.1.2.3", "HTTP_USER_AGENT": "PatroliAndroid/1.4"}
    assert client.post("/api/v1/visits", body, content_type=JSON, **extra).status_code == 201

    # The concern raised in the visit has its own event, written before the visit's.
    assert [e.action for e in events()] == ["concern.open", "visit.create"]
    event = events("visit.create")[0]
    assert (event.actor, event.actor_username) == (world.officer, "bhabin.bumiharapan")
    assert (event.object_type, event.object_id) == ("patrols.visit", visit_id)
    assert event.unit == world.sepaku
    assert event.after["site"] == world.pps_bumi.pk
    assert event.after["kind"] == "dialogic"
    assert event.after["officers"] == [world.officer.pk]
    assert event.after["photos"] == []
    assert event.before == {}
    assert (event.ip, event.user_agent) == ("10.1.2.3", "PatroliAndroid/1.4")

    # Sent again by the phone: the same visit, nothing new to record.
    assert client.post("/api/v1/visits", body, content_type=JSON).status_code == 200
    assert len(events("visit.create")) == 1


def test_concern_move_on_the_staff_page(world):
    concern = sepaku_concern()
    response = logged_in(world.kapolsek).post(
        f"/app/aduan/{concern.pk}/",
        {"move": "1", "move-status": "verified", "move-note": "Dicek.", "move-public": "on"},
    )
    assert response.status_code == 302
    opened, moved = [e for e in events() if e.action != "auth.login"]
    assert opened.action == "concern.open" and opened.actor is None
    assert opened.after["tracking_code"] == concern.tracking_code
    assert opened.after["category"] == "hoaks"
    assert moved.action == "concern.move"
    assert moved.actor == world.kapolsek and moved.unit == world.sepaku
    assert moved.object_id == str(concern.pk)
    assert moved.before["status"] == "received"
    assert moved.after["status"] == "verified"
    assert moved.after["public"] is True
    assert "due_at" in moved.before and "due_at" in moved.after  # the deadline restarted
    # The reporter's contact details never enter the trail.
    for event in events():
        for secret in ("Pelapor Rahasia", "0811000111", "pelapor@example.id"):
            assert secret not in as_text(event)


def test_release_publish_through_the_api(world, api):
    release = create_release(
        author=world.humas, unit=world.polres, title="Patroli dialogis", body="Isi rilis."
    )
    response = api(world.humas).post(
        f"/api/v1/releases/{release.pk}/publish", {}, content_type=JSON
    )
    assert response.status_code == 200, response.json()
    created, published = events()
    assert created.action == "release.create" and created.after["title"] == "Patroli dialogis"
    assert published.action == "release.publish"
    assert published.actor == world.humas and published.unit == world.polres
    assert published.before == {"status": "draft", "published_at": None}
    assert published.after["status"] == "published"
    assert published.after["published_at"]


def test_comment_hide_through_the_api(world, api):
    release = create_release(author=world.humas, unit=world.polres, title="Rilis", body="Isi.")
    release = publish_release(release=release, actor=world.humas)
    comment = post_comment(
        release=release, name="Warga", email="warga@example.id", body="Semoga aman."
    )
    assert comment.status == Comment.Status.PENDING
    response = api(world.humas).post(
        f"/api/v1/comments/{comment.pk}/moderate", {"status": "removed"}, content_type=JSON
    )
    assert response.status_code == 200
    event = events()[-1]
    assert event.action == "comment.hide"
    assert (event.object_type, event.object_id) == ("newsroom.comment", str(comment.pk))
    assert event.unit == world.polres
    assert (event.before, event.after) == ({"status": "pending"}, {"status": "removed"})
    # Posting the comment is the reader's, not a staff write: no event of its own.
    assert [e.action for e in events()] == ["release.create", "release.publish", "comment.hide"]


def test_comment_actions_in_the_admin_write_one_event_per_batch(world):
    release = create_release(author=world.humas, unit=world.polres, title="Rilis", body="Isi.")
    release = publish_release(release=release, actor=world.humas)
    comments = [
        post_comment(release=release, name="Warga", email=f"w{i}@example.id", body=f"Aman {i}.")
        for i in range(3)
    ]
    response = logged_in(world.admin).post(
        "/admin/newsroom/comment/",
        {"action": "mark_spam", "_selected_action": [c.pk for c in comments]},
    )
    assert response.status_code == 302
    [event] = events("comment.spam")
    assert event.object_type == "newsroom.comment" and event.object_id == ""
    assert event.after == {"status": "spam", "comments": sorted(c.pk for c in comments)}
    assert set(Comment.objects.values_list("moderated_by", flat=True)) == {world.admin.pk}


def test_token_revoke_in_the_admin(world):
    token, _raw = ApiToken.issue(world.officer, name="HP dinas")
    response = logged_in(world.admin).post(
        f"/admin/units/apitoken/{token.pk}/delete/", {"post": "yes"}, REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    [event] = events("token.revoke")
    assert event.actor == world.admin and event.ip == "10.9.9.9"
    assert (event.object_type, event.object_id) == ("units.apitoken", str(token.pk))
    assert event.unit == world.sepaku  # the token's officer's unit
    assert event.before["user"] == world.officer.pk and event.before["name"] == "HP dinas"
    assert token.key_hash not in as_text(event)
    assert not events("admin.delete")  # a revocation, said once


def test_token_issue_through_the_api(world):
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "kasiyono", "password": PASSWORD, "name": "tablet"},
        content_type=JSON,
    )
    assert response.status_code == 200
    [event] = events("token.issue")
    token = ApiToken.objects.get()
    assert event.actor == world.kapolsek and event.object_id == str(token.pk)
    assert event.after["name"] == "tablet" and "expires_at" in event.after
    assert token.key_hash not in as_text(event)
    assert response.json()["token"] not in as_text(event)


def test_admin_change_records_before_and_after(world):
    holiday = Holiday.objects.create(date="2031-02-14", name="Pemungutan suara")
    response = logged_in(world.admin).post(
        f"/admin/core/holiday/{holiday.pk}/change/",
        {"date": "2031-02-14", "name": "Hari pemungutan suara"},
    )
    assert response.status_code == 302
    [event] = events("admin.change")
    assert event.actor == world.admin
    assert (event.object_type, event.object_id) == ("core.holiday", str(holiday.pk))
    assert event.before == {"name": "Pemungutan suara"}
    assert event.after == {"name": "Hari pemungutan suara"}
    # Saving without a change records nothing more.
    logged_in(world.admin).post(
        f"/admin/core/holiday/{holiday.pk}/change/",
        {"date": "2031-02-14", "name": "Hari pemungutan suara"},
    )
    assert len(events("admin.change")) == 1


def test_admin_password_change_records_that_it_changed_never_the_hash(world):
    response = logged_in(world.admin).post(
        f"/admin/units/officer/{world.officer.pk}/password/",
        {"password1": "Kata-Sandi-Baru-77", "password2": "Kata-Sandi-Baru-77"},
    )
    assert response.status_code == 302
    world.officer.refresh_from_db()
    [event] = events("admin.change")
    assert event.object_id == str(world.officer.pk) and event.unit == world.sepaku
    assert "password" in json.dumps(event.after).lower()
    assert world.officer.password not in as_text(event)
    assert "Kata-Sandi-Baru-77" not in as_text(event)


def test_admin_delete_keeps_what_was_deleted(world):
    holiday = Holiday.objects.create(date="2031-02-15", name="Cuti bersama")
    logged_in(world.admin).post(f"/admin/core/holiday/{holiday.pk}/delete/", {"post": "yes"})
    [event] = events("admin.delete")
    assert event.before == {"id": holiday.pk, "date": "2031-02-15", "name": "Cuti bersama"}


def test_login_failure_and_lockout_on_the_login_page(world, settings):
    settings.PATROLI_LOGIN_FAILURES = 3
    client = Client()
    for _ in range(3):
        client.post(
            "/masuk/", {"username": "kasiyono", "password": "salah-sandi"}, REMOTE_ADDR="10.0.0.5"
        )
    failed = events("auth.login_failed")
    assert len(failed) == 3
    assert failed[0].actor is None and failed[0].actor_username == "kasiyono"
    assert (failed[0].object_type, failed[0].object_id) == ("units.officer", str(world.kapolsek.pk))
    assert failed[0].unit == world.sepaku and failed[0].ip == "10.0.0.5"
    assert "salah-sandi" not in as_text(failed[0])
    [locked] = events("auth.lockout")
    assert locked.actor_username == "kasiyono" and locked.after == {"minutes": 15}
    # While locked, refused attempts write nothing (a flood cannot fill the trail).
    client.post("/masuk/", {"username": "kasiyono", "password": PASSWORD}, REMOTE_ADDR="10.0.0.5")
    assert len(events()) == 4

    Client().post("/masuk/", {"username": "tidak.ada", "password": "x"}, REMOTE_ADDR="10.0.0.6")
    unknown = events("auth.login_failed")[-1]
    assert (unknown.object_type, unknown.object_id, unknown.unit) == ("units.officer", "", None)
    assert unknown.actor_username == "tidak.ada"


def test_login_success(world):
    client = Client()
    client.post("/masuk/", {"username": "humas.ppu", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7")
    [event] = events("auth.login")
    assert event.actor == world.humas and event.ip == "10.0.0.7" and event.unit == world.polres


def test_site_import_writes_one_event_for_the_run(world, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(
        "name,kind,village\n"
        "TPS 002 Desa Bumi Harapan,tps,64.09.04.2004\n"
        "Kantor Desa Bukit Raya,village_office,64.09.04.2002\n",
        encoding="utf-8",
    )
    assert import_sites(path).written
    [event] = events()
    assert event.action == "site.import" and event.object_type == "sites.site"
    assert event.after == {
        "file": "sites.csv",
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
    }


def test_a_rolled_back_write_records_nothing(world):
    concern = sepaku_concern()
    with pytest.raises(RuntimeError), transaction.atomic():
        move_concern(concern=concern, actor=world.kapolsek, to_status="verified")
        assert events()[-1].action == "concern.move"  # written inside the transaction...
        raise RuntimeError("the request failed after the move")
    assert [e.action for e in events()] == ["concern.open"]  # ...and gone with it
    # The chain goes on from the last committed event, without a gap.
    move_concern(concern=concern, actor=world.kapolsek, to_status="verified")
    assert [e.id for e in events()] == [1, 2]
    assert verify_chain().count == 2


def test_a_refused_write_records_nothing(world):
    concern = sepaku_concern()
    before = len(events())
    with pytest.raises(TransitionRefused):
        move_concern(concern=concern, actor=world.kapolsek, to_status="closed")
    assert len(events()) == before


def test_recent_events_first_in_the_default_order(world):
    sepaku_concern()
    sepaku_concern()
    assert list(AuditEvent.objects.values_list("id", flat=True)) == [2, 1]
    assert events()[0].time <= timezone.now() < events()[0].time + timedelta(minutes=1)


def test_admin_add_of_an_officer_masks_the_password(world):
    response = logged_in(world.admin).post(
        "/admin/units/officer/add/",
        {
            "username": "bhabin.baru",
            "usable_password": "true",
            "password1": "Kata-Sandi-Baru-77",
            "password2": "Kata-Sandi-Baru-77",
            "rank": "Briptu",
            "unit": world.sepaku.pk,
            "role": "officer",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = events("admin.add")
    assert event.unit == world.sepaku and event.object_type == "units.officer"
    assert event.after["username"] == "bhabin.baru" and event.after["unit"] == world.sepaku.pk
    assert event.after["password1"] == "[redacted]"
    assert "Kata-Sandi-Baru-77" not in as_text(event)


def test_admin_change_of_a_jurisdiction(world):
    response = logged_in(world.admin).post(
        f"/admin/units/unit/{world.sepaku.pk}/change/",
        {
            "code": "polsek-sepaku",
            "name": "Polsek Sepaku",
            "level": "polsek",
            "parent": world.polres.pk,
            "regions": "64.09.04,64.09.01",
            "email": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = events("admin.change")
    assert event.before == {"regions": ["64.09.04"]}
    assert event.after == {"regions": ["64.09.01", "64.09.04"]}
    assert event.unit == world.sepaku
