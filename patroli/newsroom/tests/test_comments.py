"""Readers' comments: the rules of news sites, through the page form and the public API alike.

- name and e-mail are required;
- held for moderation: the first comment of an address, two or more links (the website counts as
  one), a blocked term;
- refused: the same text again from the same sender (400), a second comment from the same sender
  (e-mail or address) within 15 seconds (429);
- replies nest three levels deep; a reply to the third level goes beside it;
- the commenter sees their own held comment (same session), nobody else does;
- spam and removed comments are never shown; e-mail addresses never leave the newsroom.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db.models import F
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from patroli.newsroom.models import BlockedTerm, Comment, Release
from patroli.newsroom.services import create_release, publish_release

pytestmark = pytest.mark.django_db

KNOWN = "pak.budi@warga.example"  # has an approved comment already
NEW = "bu.sari@warga.example"  # comments for the first time
JSON = "application/json"
VIA = ["page", "api"]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def msg(text: str) -> str:
    """A message as the site shows it (in Indonesian, the default language)."""
    with translation.override("id"):
        return gettext(text)


AWAITING = "Your comment is awaiting moderation."
DUPLICATE = "Duplicate comment: it looks as though you already said that."
TOO_QUICK = "You are posting comments too quickly. Slow down."


def live_release(world, title="Patroli Dialogis di Desa Bumi Harapan", unit=None) -> Release:
    release = create_release(
        author=world.humas,
        unit=unit or world.sepaku,
        title=title,
        body="Polsek Sepaku menggelar patroli dialogis.",
    )
    return publish_release(release=release, actor=world.admin)


def approved(release, email=KNOWN, *, body="Komentar lama yang sudah tayang.", parent=None, **kw):
    """An approved comment, a day old (out of the flood window)."""
    comment = Comment.objects.create(
        release=release,
        parent=parent,
        depth=parent.depth + 1 if parent else 1,
        name=kw.pop("name", "Pak Budi"),
        email=email,
        body=body,
        status=Comment.Status.APPROVED,
        **kw,
    )
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(days=1))
    return comment


def later(seconds=16):
    """Let time pass for every stored comment (the flood rule looks at created_at)."""
    Comment.objects.update(created_at=F("created_at") - timedelta(seconds=seconds))


@pytest.fixture
def release(world):
    release = live_release(world)
    approved(release)
    return release


def send(via, release, *, client=None, ip="10.0.0.1", **fields):
    """Post a comment through the page form or the public API; the response."""
    data = {"name": "Bu Sari", "email": NEW, "body": "Terima kasih, Pak Polisi."}
    data.update(fields)
    if via == "page":
        client = client or Client(REMOTE_ADDR=ip)
        data = {k: "" if v is None else v for k, v in data.items()}
        return client.post(f"/berita/{release.slug}/", data)
    client = client or Client(REMOTE_ADDR=ip)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/api/v1/public/releases/{release.slug}/comments", data, content_type=JSON)


def stored(via, response) -> Comment:
    """The comment that an accepted post stored."""
    if via == "page":
        assert response.status_code == 302, response.content.decode()[:2000]
        pk = int(response["Location"].rsplit("#komentar-", 1)[1])
        return Comment.objects.get(pk=pk)
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == {"id", "status"}
    comment = Comment.objects.get(pk=data["id"])
    assert data["status"] == comment.status
    return comment


def refusal(via, response) -> str:
    """The message of a refused post."""
    if via == "page":
        return " ".join(response.context["form"].non_field_errors())
    return response.json()["detail"]


def page_of(release, client=None) -> str:
    return (client or Client()).get(f"/berita/{release.slug}/").content.decode()


# Held or shown at once


@pytest.mark.parametrize("via", VIA)
class TestHolding:
    def test_first_comment_of_an_address_is_held(self, world, release, via):
        comment = stored(via, send(via, release))
        assert comment.status == "pending"
        assert comment.held_because == msg("first comment from this address")
        assert comment.body not in page_of(release)

    def test_known_address_appears_at_once(self, world, release, via):
        comment = stored(via, send(via, release, email=KNOWN, body="Setuju, Pak."))
        assert comment.status == "approved" and comment.held_because == ""
        assert "Setuju, Pak." in page_of(release)

    def test_address_is_compared_without_case(self, world, release, via):
        comment = stored(via, send(via, release, email=KNOWN.upper(), body="Huruf besar."))
        assert comment.status == "approved"
        assert comment.email == KNOWN

    def test_address_known_from_another_release_counts(self, world, via):
        other = live_release(world, title="Rilis Lain")
        approved(other, email=NEW)
        fresh = live_release(world, title="Rilis Baru")
        assert stored(via, send(via, fresh, email=NEW)).status == "approved"

    def test_an_address_with_only_held_comments_is_still_new(self, world, release, via):
        stored(via, send(via, release, body="Pertama."))
        later()
        assert stored(via, send(via, release, body="Kedua.")).status == "pending"

    @pytest.mark.parametrize(
        ("body", "website", "held"),
        [
            ("Satu tautan https://polri.go.id saja.", "", False),
            ("Tanpa tautan.", "https://budi.example", False),
            ("Dua tautan https://polri.go.id dan http://kpu.go.id di sini.", "", True),
            ("Dua tautan https://polri.go.id dan www.kpu.go.id di sini.", "", True),
            ("Satu tautan https://polri.go.id dan situs saya.", "https://budi.example", True),
        ],
        ids=["one link", "website only", "two links", "www counts", "link and website"],
    )
    def test_two_links_are_held(self, world, release, via, body, website, held):
        comment = stored(via, send(via, release, email=KNOWN, body=body, website=website))
        assert comment.status == ("pending" if held else "approved")
        if held:
            assert comment.held_because == msg("two or more links")

    @pytest.mark.parametrize(
        ("body", "website"),
        [
            ("Jangan mau dibayar, itu POLITIK UANG!", ""),
            ("Ada politik uang di desa kami.", ""),
            ("Situs saya.", "https://politik-uang.example"),
        ],
        ids=["upper case", "in the text", "in the website"],
    )
    def test_blocked_term_is_held(self, world, release, via, body, website):
        BlockedTerm.objects.create(term="Politik Uang")
        BlockedTerm.objects.create(term="politik-uang")
        comment = stored(via, send(via, release, email=KNOWN, body=body, website=website))
        assert comment.status == "pending"
        assert comment.held_because == msg("a blocked word")
        assert body not in page_of(release)


# Refused


@pytest.mark.parametrize("via", VIA)
class TestRefusals:
    def test_exact_duplicate_from_the_same_address(self, world, release, via):
        stored(via, send(via, release, email=KNOWN, body="Mantap, Pak!", ip="10.0.0.1"))
        later(60)  # also outside the flood window, and from another network address
        response = send(via, release, email=KNOWN, body="  Mantap, Pak!  ", ip="10.0.0.2")
        assert response.status_code == 400
        assert refusal(via, response) == msg(DUPLICATE)
        assert Comment.objects.filter(body="Mantap, Pak!").count() == 1

    def test_duplicate_from_the_same_network_address(self, world, release, via):
        stored(via, send(via, release, email=KNOWN, body="Mantap, Pak!", ip="10.0.0.3"))
        later(60)
        response = send(via, release, email=NEW, body="Mantap, Pak!", ip="10.0.0.3")
        assert response.status_code == 400
        assert refusal(via, response) == msg(DUPLICATE)

    def test_same_text_from_someone_else_is_fine(self, world, release, via):
        stored(via, send(via, release, email=KNOWN, body="Mantap, Pak!", ip="10.0.0.4"))
        later()
        assert stored(via, send(via, release, email=NEW, body="Mantap, Pak!", ip="10.0.0.5"))

    def test_same_text_on_another_release_is_fine(self, world, release, via):
        other = live_release(world, title="Rilis Lain")
        stored(via, send(via, release, email=KNOWN, body="Mantap, Pak!"))
        later()
        assert stored(via, send(via, other, email=KNOWN, body="Mantap, Pak!"))

    def test_second_comment_within_15_seconds_from_the_same_address(self, world, release, via):
        stored(via, send(via, release, email=KNOWN, body="Komentar pertama.", ip="10.0.0.6"))
        response = send(via, release, email=KNOWN, body="Komentar kedua.", ip="10.0.0.7")
        assert response.status_code == 429
        assert refusal(via, response) == msg(TOO_QUICK)
        later(14)
        assert send(via, release, email=KNOWN, body="Komentar kedua.").status_code == 429
        later(2)
        assert stored(via, send(via, release, email=KNOWN, body="Komentar kedua.")).pk

    def test_second_comment_within_15_seconds_from_the_same_network(self, world, release, via):
        stored(via, send(via, release, email=KNOWN, body="Komentar pertama.", ip="10.0.0.8"))
        response = send(via, release, email=NEW, body="Komentar lain.", ip="10.0.0.8")
        assert response.status_code == 429
        assert refusal(via, response) == msg(TOO_QUICK)
        assert not Comment.objects.filter(email=NEW).exists()

    def test_flood_counts_across_releases(self, world, release, via):
        other = live_release(world, title="Rilis Lain")
        stored(via, send(via, release, email=KNOWN, body="Di rilis pertama."))
        assert send(via, other, email=KNOWN, body="Di rilis kedua.").status_code == 429

    def test_many_comments_from_one_network_address_are_limited(
        self, world, release, via, settings
    ):
        settings.PATROLI_COMMENT_RATE = "2/h"
        for n in range(2):
            stored(via, send(via, release, email=f"warga{n}@example.org", body=f"Nomor {n}."))
            later()
        response = send(via, release, email="warga9@example.org", body="Nomor tiga.")
        assert response.status_code == 429
        assert Comment.objects.filter(email__startswith="warga").count() == 2

    @pytest.mark.parametrize("missing", ["name", "email", "body"])
    def test_required_fields(self, world, release, via, missing):
        count = Comment.objects.count()
        response = send(via, release, **{missing: None})
        if via == "page":
            assert response.status_code == 200
            assert missing in response.context["form"].errors
        else:
            assert response.status_code == 422
            assert [e["loc"][-1] for e in response.json()["detail"]] == [missing]
        assert Comment.objects.count() == count

    @pytest.mark.parametrize("blank", ["name", "email", "body"])
    def test_blank_fields(self, world, release, via, blank):
        count = Comment.objects.count()
        response = send(via, release, **{blank: "   "})
        if via == "page":
            assert response.status_code == 200
            assert blank in response.context["form"].errors
        else:
            assert response.status_code == 422
            assert blank in [e["loc"][-1] for e in response.json()["detail"]]
        assert Comment.objects.count() == count

    def test_invalid_email(self, world, release, via):
        response = send(via, release, email="bukan-alamat")
        if via == "page":
            assert "email" in response.context["form"].errors
        else:
            assert response.status_code == 422
        assert not Comment.objects.filter(email="bukan-alamat").exists()

    def test_releases_that_are_not_live_take_no_comments(self, world, via):
        draft = create_release(author=world.humas, unit=world.sepaku, title="Draf", body="Isi.")
        assert send(via, draft).status_code == 404
        scheduled = publish_release(
            release=create_release(author=world.humas, unit=world.sepaku, title="Nanti", body="x"),
            actor=world.admin,
            at=timezone.now() + timedelta(hours=1),
        )
        assert send(via, scheduled).status_code == 404
        assert not Comment.objects.exists()


def test_honeypot_on_the_page_saves_nothing(world, release):
    client = Client(REMOTE_ADDR="10.0.0.20")
    response = send("page", release, client=client, email=KNOWN, url_confirm="https://spam.example")
    assert response.status_code == 302
    assert response["Location"] == f"/berita/{release.slug}/"
    assert Comment.objects.count() == 1  # the approved one of the fixture
    page = page_of(release, client)
    assert msg("Your comment could not be accepted.") in page
    assert "Terima kasih, Pak Polisi." not in page


def test_page_form_keeps_what_was_typed_after_a_refusal(world, release):
    stored("page", send("page", release, email=KNOWN, body="Mantap!"))
    later()
    response = send("page", release, email=KNOWN, body="Mantap!", name="Pak Budi")
    assert response.status_code == 400
    assert msg(DUPLICATE) in response.content.decode()
    assert response.context["form"]["name"].value() == "Pak Budi"


# Replies


@pytest.mark.parametrize("via", VIA)
class TestReplies:
    @pytest.fixture
    def thread(self, release):
        one = approved(release, "satu@example.org", body="Level satu.")
        two = approved(release, "dua@example.org", body="Level dua.", parent=one)
        three = approved(release, "tiga@example.org", body="Level tiga.", parent=two)
        return one, two, three

    def test_reply_nests(self, world, release, thread, via):
        one, two, _ = thread
        reply = stored(via, send(via, release, email=KNOWN, body="Balasan.", parent=one.pk))
        assert (reply.parent, reply.depth, reply.status) == (one, 2, "approved")
        reply = stored(
            via,
            send(
                via,
                release,
                email="dua@example.org",
                body="Balas dua.",
                parent=two.pk,
                ip="10.0.0.2",
            ),
        )
        assert (reply.parent, reply.depth) == (two, 3)

    def test_reply_to_the_third_level_goes_beside_it(self, world, release, thread, via):
        _, two, three = thread
        reply = stored(via, send(via, release, email=KNOWN, body="Balasan dalam.", parent=three.pk))
        assert reply.depth == 3
        assert reply.parent == two
        assert max(Comment.objects.values_list("depth", flat=True)) == 3
        # On the page it is listed after the third-level comment, in the same list.
        page = page_of(release)
        assert page.index("Level dua.") < page.index("Level tiga.") < page.index("Balasan dalam.")
        start = page.index(f'id="komentar-{two.pk}"')
        assert page.count('<ol class="comments">', start) == 1

    def test_reply_to_a_comment_of_another_release(self, world, release, via):
        other = live_release(world, title="Rilis Lain")
        foreign = approved(other, "asing@example.org", body="Di rilis lain.")
        count = Comment.objects.count()
        response = send(via, release, email=KNOWN, body="Salah alamat.", parent=foreign.pk)
        if via == "api":
            assert response.status_code == 422
            assert [e["loc"][-1] for e in response.json()["detail"]] == ["parent"]
            assert Comment.objects.count() == count
        else:
            # Never linked across releases (see test_page_refuses_a_foreign_parent).
            assert not Comment.objects.filter(parent=foreign).exclude(release=other).exists()
        assert not foreign.replies.exists()

    def test_reply_to_a_held_comment_is_refused(self, world, release, via):
        held = Comment.objects.create(
            release=release, name="X", email="x@example.org", body="Ditahan."
        )
        response = send(via, release, email=KNOWN, body="Balasan.", parent=held.pk)
        assert response.status_code in (400, 422)
        assert not held.replies.exists()
        if via == "page":
            assert response.context["form"].errors
        else:
            assert response.json()["detail"][0]["loc"][-1] == "parent"


def test_api_refuses_an_unknown_parent(world, release):
    response = send("api", release, email=KNOWN, body="Balasan.", parent=999999)
    assert response.status_code == 422
    assert [e["loc"][-1] for e in response.json()["detail"]] == ["parent"]
    assert not Comment.objects.filter(body="Balasan.").exists()


def test_page_refuses_a_foreign_parent(world, release):
    other = live_release(world, title="Rilis Lain")
    foreign = approved(other, "asing@example.org", body="Di rilis lain.")
    response = send("page", release, email=KNOWN, body="Salah alamat.", parent=foreign.pk)
    assert response.status_code == 400
    assert not Comment.objects.filter(body="Salah alamat.").exists()


# Who sees what


class TestVisibility:
    def test_commenter_sees_their_own_held_comment_others_do_not(self, world, release):
        mine = Client(REMOTE_ADDR="10.0.1.1")
        response = send("page", release, client=mine, body="Komentar saya yang ditahan.")
        comment = stored("page", response)
        assert comment.status == "pending"
        page = mine.get(response["Location"]).content.decode()
        assert "Komentar saya yang ditahan." in page
        assert msg(AWAITING) in page
        assert "menunggu moderasi" in page
        assert f'id="komentar-{comment.pk}"' in page
        # Not a reply target while it waits.
        assert f'data-parent="{comment.pk}"' not in page

        theirs = page_of(release, Client(REMOTE_ADDR="10.0.1.2"))
        assert "Komentar saya yang ditahan." not in theirs
        assert msg(AWAITING) not in theirs
        api = Client().get(f"/api/v1/public/releases/{release.slug}").json()
        assert comment.pk not in [c["id"] for c in api["comments"]]

    def test_api_commenter_has_no_session_and_sees_nothing_held(self, world, release):
        client = Client(REMOTE_ADDR="10.0.1.3")
        assert stored("api", send("api", release, client=client, body="Lewat API.")).pk
        assert "Lewat API." not in page_of(release, client)

    @pytest.mark.parametrize("status", ["spam", "removed"])
    def test_spam_and_removed_are_never_shown(self, world, release, status):
        mine = Client(REMOTE_ADDR="10.0.1.4")
        comment = stored("page", send("page", release, client=mine, body="Beli obat murah."))
        Comment.objects.filter(pk=comment.pk).update(status=status)
        shown_to_known = approved(release, "kenal@example.org", body="Sudah tayang dulu.")
        Comment.objects.filter(pk=shown_to_known.pk).update(status=status)

        for client in (mine, Client()):
            page = page_of(release, client)
            assert "Beli obat murah." not in page
            assert "Sudah tayang dulu." not in page
        api = Client().get(f"/api/v1/public/releases/{release.slug}").json()
        assert {c["body"] for c in api["comments"]} == {"Komentar lama yang sudah tayang."}

    def test_comment_count_on_the_page(self, world, release):
        approved(release, "lain@example.org", body="Dua.")
        Comment.objects.create(release=release, name="X", email="x@example.org", body="Ditahan.")
        page = page_of(release)
        assert "2 komentar" in page.lower() or "2 comments" in page


class TestModerationQueue:
    def held(self, release, n):
        return [
            Comment.objects.create(
                release=release, name=f"Warga {i}", email=f"warga{i}@example.org", body=f"Isi {i}."
            )
            for i in range(n)
        ]

    def test_bulk_approve_makes_comments_visible(self, world, release):
        comments = self.held(release, 3)
        client = Client()
        client.force_login(world.humas)
        queue = client.get("/app/berita/komentar/").content.decode()
        assert all(f"Isi {i}." in queue for i in range(3))
        assert "warga0@example.org" in queue  # staff see the address, the public never
        assert "Isi 0." not in page_of(release)

        response = client.post(
            "/app/berita/komentar/",
            {"ids": [comments[0].pk, comments[1].pk], "status": "approved"},
        )
        assert response.status_code == 302
        statuses = dict(
            Comment.objects.filter(email__startswith="warga").values_list("pk", "status")
        )
        assert statuses == {
            comments[0].pk: "approved",
            comments[1].pk: "approved",
            comments[2].pk: "pending",
        }
        assert Comment.objects.get(pk=comments[0].pk).moderated_by == world.humas
        page = page_of(release)
        assert "Isi 0." in page and "Isi 1." in page and "Isi 2." not in page
        # An approved address now comments without waiting.
        later()
        reply = stored("api", send("api", release, email="warga0@example.org", body="Lagi."))
        assert reply.status == "approved"

    def test_bulk_spam_hides_approved_comments(self, world, release):
        shown = approved(release, "lain@example.org", body="Nanti dianggap spam.")
        client = Client()
        client.force_login(world.commander)
        client.post("/app/berita/komentar/", {"ids": [shown.pk], "status": "spam"})
        assert Comment.objects.get(pk=shown.pk).status == "spam"
        assert "Nanti dianggap spam." not in page_of(release)
        assert (
            "Nanti dianggap spam."
            in client.get("/app/berita/komentar/?status=spam").content.decode()
        )

    def test_other_units_comments_are_out_of_reach(self, world):
        theirs = live_release(world, title="Rilis Penajam", unit=world.penajam)
        (comment,) = self.held(theirs, 1)
        client = Client()
        client.force_login(world.kapolsek)
        assert "Isi 0." not in client.get("/app/berita/komentar/").content.decode()
        client.post("/app/berita/komentar/", {"ids": [comment.pk], "status": "approved"})
        assert Comment.objects.get(pk=comment.pk).status == "pending"

    def test_officers_have_no_queue(self, world, release):
        (comment,) = self.held(release, 1)
        client = Client()
        client.force_login(world.officer)
        assert client.get("/app/berita/komentar/").status_code == 404
        assert (
            client.post(
                "/app/berita/komentar/", {"ids": [comment.pk], "status": "approved"}
            ).status_code
            == 404
        )
        assert Comment.objects.get(pk=comment.pk).status == "pending"

    def test_unknown_status_changes_nothing(self, world, release):
        (comment,) = self.held(release, 1)
        client = Client()
        client.force_login(world.humas)
        client.post("/app/berita/komentar/", {"ids": [comment.pk], "status": "published"})
        assert Comment.objects.get(pk=comment.pk).status == "pending"


# E-mail addresses stay private


SECRET = "rahasia.sekali@warga.example"


def test_email_addresses_never_leave_the_newsroom(world, release):
    approved(
        release, SECRET, body="Komentar tayang dari alamat rahasia.", website="https://a.example"
    )
    later()
    client = Client(REMOTE_ADDR="10.0.2.1")
    responses = [
        send("api", release, client=client, email=SECRET, body="Lewat API, langsung tayang."),
    ]
    later()
    posted = send("page", release, client=client, email=SECRET.upper(), body="Lewat formulir.")
    responses.append(posted)
    later()
    responses.append(send("page", release, client=client, email=NEW, body="Alamat baru, ditahan."))
    responses += [
        client.get(posted["Location"]),  # the commenter's own view, with a held comment
        Client().get(f"/berita/{release.slug}/"),
        Client().get("/berita/"),
        Client().get("/berita/feed/"),
        Client().get("/sitemap.xml"),
        Client().get(f"/api/v1/public/releases/{release.slug}"),
        Client().get("/api/v1/public/releases"),
    ]
    assert [r.status_code for r in responses] == [201, 302, 302] + [200] * 7
    for response in responses:
        for needle in (SECRET, SECRET.upper(), "warga.example", NEW):
            assert needle.encode() not in response.content, response.request["PATH_INFO"]
    # They are stored, for the moderators.
    assert Comment.objects.filter(email=SECRET).count() == 3
    assert Comment.objects.filter(email=NEW, status="pending").exists()
    detail = Client().get(f"/api/v1/public/releases/{release.slug}").json()
    assert set(detail["comments"][0]) == {"id", "parent", "name", "website", "body", "created_at"}
