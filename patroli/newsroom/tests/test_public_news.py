"""The public side of the newsroom: /berita/, a release's page, the Atom feed, the sitemap and
the public API. Only live releases (published, and due) are ever shown."""

import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from patroli.newsroom.models import Comment, Release
from patroli.newsroom.services import (
    create_release,
    publish_release,
    submit_for_review,
    unpublish_release,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def release(world, title, *, unit=None, body=None, ago=None, status="live") -> Release:
    """A release of Polsek Sepaku (unless told), live since ``ago`` (default: an hour)."""
    made = create_release(
        author=world.humas,
        unit=unit or world.sepaku,
        title=title,
        body=body or f"Sepaku, 23 Januari 2024 – {title}.\n\nWarga diimbau menjaga keamanan.",
        dateline="Sepaku, 23 Januari 2024 –",
    )
    if status == "draft":
        return made
    if status == "review":
        return submit_for_review(release=made, actor=world.humas)
    if status == "scheduled":
        return publish_release(
            release=made, actor=world.admin, at=timezone.now() + timedelta(days=1)
        )
    made = publish_release(
        release=made, actor=world.admin, at=timezone.now() - (ago or timedelta(hours=1))
    )
    if status == "unpublished":
        return unpublish_release(release=made, actor=world.admin)
    return made


def titles_on(html: str) -> list[str]:
    return re.findall(r'<article class="card teaser">\s*<h2><a href="[^"]+">([^<]+)</a>', html)


def listing(**params) -> list[str]:
    response = Client().get("/berita/", params)
    assert response.status_code == 200
    return titles_on(response.content.decode())


@pytest.fixture
def hidden(world):
    """One release in every state that the public must not see."""
    return [
        release(world, "Rilis Draf", status="draft"),
        release(world, "Rilis Ditinjau", status="review"),
        release(world, "Rilis Terjadwal", status="scheduled"),
        release(world, "Rilis Ditarik", status="unpublished"),
    ]


# /berita/


class TestList:
    def test_paginates_by_ten_newest_first(self, world, hidden):
        for n in range(12):
            release(world, f"Rilis Nomor {n:02d}", ago=timedelta(hours=n + 1))
        first = listing()
        assert first == [f"Rilis Nomor {n:02d}" for n in range(10)]
        second = listing(page=2)
        assert second == ["Rilis Nomor 10", "Rilis Nomor 11"]
        html = Client().get("/berita/").content.decode()
        assert "?page=2" in html
        assert listing(page=99) == second  # past the end: the last page

    def test_shows_live_releases_only(self, world, hidden):
        release(world, "Rilis Tayang")
        assert listing() == ["Rilis Tayang"]

    def test_filters_by_unit(self, world):
        release(world, "Rilis Sepaku")
        release(world, "Rilis Penajam", unit=world.penajam)
        release(world, "Rilis Polres", unit=world.polres)
        assert listing(satuan="polsek-sepaku") == ["Rilis Sepaku"]
        assert listing(satuan="polsek-penajam") == ["Rilis Penajam"]
        # A unit shows the releases of the units below it.
        assert sorted(listing(satuan="polres-ppu")) == [
            "Rilis Penajam",
            "Rilis Polres",
            "Rilis Sepaku",
        ]
        assert listing(satuan="tidak-ada") == []
        html = Client().get("/berita/", {"satuan": "polsek-sepaku"}).content.decode()
        assert "Polsek Sepaku" in html.split("<h1>", 1)[1].split("</h1>", 1)[0]

    def test_unit_filter_is_kept_across_pages(self, world):
        for n in range(11):
            release(world, f"Rilis Sepaku {n:02d}", ago=timedelta(hours=n + 1))
        release(world, "Rilis Penajam", unit=world.penajam)
        html = Client().get("/berita/", {"satuan": "polsek-sepaku"}).content.decode()
        assert "satuan=polsek-sepaku&amp;page=2" in html
        assert listing(satuan="polsek-sepaku", page=2) == ["Rilis Sepaku 10"]

    def test_searches_by_indonesian_stems(self, world):
        release(
            world,
            "Pengamanan Kotak Suara di Kantor PPS",
            body="Personel Polsek mengamankan logistik pemilu.",
        )
        release(world, "Sambang Warga Desa", body="Bhabinkamtibmas berkampanye pemilu damai.")
        release(
            world,
            "Kampanye Damai di Penajam",
            unit=world.penajam,
            body="Kampanye berlangsung tertib.",
        )
        # Other forms of the same word: aman → pengamanan, mengamankan, keamanan.
        for word in ("keamanan", "diamankan", "aman", "Pengamanan"):
            assert listing(q=word) == ["Pengamanan Kotak Suara di Kantor PPS"], word
        assert set(listing(q="kampanye")) == {"Sambang Warga Desa", "Kampanye Damai di Penajam"}
        assert listing(q="KAMPANYE", satuan="polsek-penajam") == ["Kampanye Damai di Penajam"]
        # Every word must match.
        assert listing(q="kampanye tertib") == ["Kampanye Damai di Penajam"]
        assert listing(q="banjir") == []
        html = Client().get("/berita/", {"q": "banjir"}).content.decode()
        assert 'value="banjir"' in html

    def test_search_ignores_hidden_releases(self, world, hidden):
        assert listing(q="rilis") == []

    def test_unit_filter_offers_units_with_news(self, world):
        release(world, "Rilis Sepaku")
        html = Client().get("/berita/").content.decode()
        assert 'value="polsek-sepaku"' in html
        assert 'value="polsek-penajam"' not in html


# /berita/<slug>/


class TestDetail:
    def test_meta_tags_and_print_stylesheet(self, world):
        shown = release(world, "Patroli Dialogis di Kantor PPS")
        response = Client().get(f"/berita/{shown.slug}/")
        assert response.status_code == 200
        html = response.content.decode()
        description = "Patroli Dialogis di Kantor PPS.\nWarga diimbau menjaga keamanan."
        assert shown.summary == description  # without the dateline
        assert '<meta property="og:title" content="Patroli Dialogis di Kantor PPS">' in html
        assert f'<meta property="og:description" content="{description}">' in html
        assert '<meta property="og:type" content="article">' in html
        assert f'<meta property="og:url" content="http://testserver/berita/{shown.slug}/">' in html
        assert '<meta name="twitter:card" content="summary">' in html
        assert '<meta name="twitter:title" content="Patroli Dialogis di Kantor PPS">' in html
        assert re.search(r'<link rel="stylesheet" href="[^"]*print[^"]*\.css" media="print">', html)
        assert '<link rel="alternate" type="application/atom+xml"' in html
        assert "<title>Patroli Dialogis di Kantor PPS" in html

    def test_long_text_gives_a_short_description(self, world):
        shown = release(world, "Rilis Panjang", body="kata " * 200)
        assert len(shown.summary) == 298 and shown.summary.endswith("…")
        html = Client().get(f"/berita/{shown.slug}/").content.decode()
        assert f'<meta property="og:description" content="{shown.summary}">' in html

    def test_hidden_releases_answer_404(self, world, hidden):
        for r in hidden:
            assert Client().get(f"/berita/{r.slug}/").status_code == 404, r.title
        assert Client().get("/berita/tidak-ada/").status_code == 404

    def test_shows_approved_comments_in_threads(self, world):
        shown = release(world, "Rilis Berkomentar")
        top = Comment.objects.create(
            release=shown, name="Pak Budi", email="b@example.org", body="Atas.", status="approved"
        )
        Comment.objects.create(
            release=shown,
            parent=top,
            depth=2,
            name="Bu Sari",
            email="s@example.org",
            body="Balasan.",
            status="approved",
            website="https://sari.example",
        )
        html = Client().get(f"/berita/{shown.slug}/").content.decode()
        assert html.index("Atas.") < html.index("Balasan.")
        assert '<a href="https://sari.example" rel="nofollow ugc noopener">Bu Sari</a>' in html
        assert 'name="url_confirm"' in html  # the honeypot is there for robots


# /berita/feed/ and /sitemap.xml


def parse(response) -> ElementTree.Element:
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own answer


def test_feed_lists_live_releases_only(world, hidden):
    old = release(world, "Rilis Lama", ago=timedelta(days=2))
    new = release(world, "Rilis Baru", ago=timedelta(hours=1))
    response = Client().get("/berita/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse(response)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Rilis Baru", "Rilis Lama"]
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert links == [f"http://testserver/berita/{r.slug}/" for r in (new, old)]
    assert entries[0].findtext(f"{ATOM}summary") == new.summary
    assert entries[0].find(f"{ATOM}author").findtext(f"{ATOM}name") == "Polsek Sepaku"
    for r in hidden:
        assert r.slug.encode() not in response.content


def test_sitemap_lists_live_releases_only(world, hidden):
    shown = release(world, "Rilis Tayang")
    response = Client().get("/sitemap.xml")
    assert response.status_code == 200
    urls = [u.findtext(f"{SITEMAP}loc") for u in parse(response).iter(f"{SITEMAP}url")]
    assert urls == [f"http://testserver/berita/{shown.slug}/"]


# The public API


class TestPublicApi:
    def test_list_has_live_releases_only(self, world, hidden):
        for n in range(3):
            release(world, f"Rilis {n}", ago=timedelta(hours=n + 1))
        response = Client().get("/api/v1/public/releases")
        assert response.status_code == 200
        data = response.json()
        assert data["count"] == 3
        assert [r["title"] for r in data["items"]] == ["Rilis 0", "Rilis 1", "Rilis 2"]
        assert set(data["items"][0]) == {
            "title",
            "slug",
            "dateline",
            "body_html",
            "summary",
            "unit",
            "published_at",
            "url",
        }
        assert data["items"][0]["unit"] == "Polsek Sepaku"
        assert data["items"][0]["url"] == f"/berita/{data['items'][0]['slug']}/"
        page = Client().get("/api/v1/public/releases", {"limit": 2, "offset": 2}).json()
        assert [r["title"] for r in page["items"]] == ["Rilis 2"]

    def test_detail_with_approved_comments_only(self, world):
        shown = release(world, "Rilis Publik")
        for status in ("approved", "pending", "spam", "removed"):
            Comment.objects.create(
                release=shown,
                name=f"Warga {status}",
                email=f"{status}@warga.example",
                body=f"Komentar {status}.",
                status=status,
            )
        response = Client().get(f"/api/v1/public/releases/{shown.slug}")
        assert response.status_code == 200
        data = response.json()
        assert data["title"] == "Rilis Publik"
        assert [c["body"] for c in data["comments"]] == ["Komentar approved."]
        assert b"warga.example" not in response.content
        assert b"email" not in response.content

    def test_hidden_releases_answer_404(self, world, hidden):
        for r in hidden:
            assert Client().get(f"/api/v1/public/releases/{r.slug}").status_code == 404
            response = Client().post(
                f"/api/v1/public/releases/{r.slug}/comments",
                {"name": "A", "email": "a@example.org", "body": "Halo."},
                content_type="application/json",
            )
            assert response.status_code == 404
        assert not Comment.objects.exists()

    def test_needs_no_token(self, world):
        release(world, "Rilis Terbuka")
        assert Client().get("/api/v1/public/releases").status_code == 200


def test_unit_filter_ignores_scheduled_releases(world):
    release(world, "Rilis Terjadwal", status="scheduled")
    assert 'value="polsek-sepaku"' not in Client().get("/berita/").content.decode()
