"""What an editor or a commenter writes can never run script on a reader.

Release bodies are Markdown rendered to HTML and cleaned by nh3 (an allow-list); comment bodies
are plain text, escaped on the page.
"""

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from patroli.newsroom.markup import TAGS, plain_text, render_markdown
from patroli.newsroom.models import Comment, Release
from patroli.newsroom.services import create_release, publish_release

pytestmark = pytest.mark.django_db

NORMAL = """Sepaku – Polsek Sepaku menggelar **patroli dialogis** dan *sambang* warga.

## Imbauan

- jaga keamanan lingkungan
- tolak politik uang

1. datang ke TPS
2. gunakan hak pilih

> Pemilu damai tanggung jawab bersama.

Informasi di [situs Polri](https://polri.go.id/berita) atau <https://humas.polri.go.id>."""

INJECTIONS = {
    "script": "<script>alert('xss')</script>",
    "script with src": '<SCRIPT SRC="https://evil.example/x.js"></SCRIPT>',
    "script split": "<scr<script>ipt>alert(1)</script>",
    "script in svg": "<svg><script>alert(1)</script></svg>",
    "event handlers": '<p onclick="alert(1)" onmouseover="alert(2)">klik</p>',
    "handler on a link": '<a href="https://polri.go.id" onfocus="alert(1)" autofocus>polri</a>',
    "handler without quotes": "<b onmouseover=alert(1)>tebal</b>",
    "img onerror": '<img src="x" onerror="alert(1)">',
    "markdown image": "![foto](javascript:alert(1))",
    "javascript link": "[klik](javascript:alert(1))",
    "javascript mixed case": '<a href="JaVaScRiPt:alert(1)">klik</a>',
    "javascript with entities": '<a href="&#106;&#97;vascript:alert(1)">klik</a>',
    "javascript with a tab": '<a href="jav&#x09;ascript:alert(1)">klik</a>',
    "javascript with spaces": '<a href="  javascript:alert(1)">klik</a>',
    "javascript reference link": "[klik][x]\n\n[x]: javascript:alert(1)",
    "javascript autolink": "<javascript:alert(1)>",
    "data url": "[klik](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data url in html": '<a href="data:text/html,<script>alert(1)</script>">klik</a>',
    "vbscript url": '<a href="vbscript:msgbox(1)">klik</a>',
    "style tag": "<style>body{display:none}</style>",
    "style attribute": '<p style="background:url(javascript:alert(1))">gaya</p>',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "iframe srcdoc": '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "object": '<object data="https://evil.example/x.swf"></object>',
    "embed": '<embed src="https://evil.example/x.swf">',
    "svg onload": '<svg onload="alert(1)"><circle r="1"/></svg>',
    "math mutation": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "noscript mutation": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "html comment": "<!-- <script>alert(1)</script> -->",
    "conditional comment": "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "form": '<form action="https://evil.example"><button formaction="javascript:alert(1)">ok'
    "</button></form>",
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base": '<base href="javascript:alert(1)//">',
    "link tag": '<link rel="stylesheet" href="https://evil.example/x.css">',
}

# Never in the HTML of a release body, in any letter case.
FORBIDDEN = [
    "<script", "<style", "<iframe", "<object", "<embed", "<svg", "<math", "<img", "<form",
    "<button", "<meta", "<base", "<link", "<noscript", "<!--", "javascript:", "vbscript:",
    "data:", "srcdoc", "formaction", "style=",
]  # fmt: skip
SAFE_SCHEMES = {"", "http", "https", "mailto"}


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


class Audit(HTMLParser):
    """Everything in an HTML fragment that the allow-list should have removed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            allowed = {"a": {"href", "title", "rel"}}.get(tag, set())
            if name not in allowed:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href":
                squeezed = re.sub(r"[\x00-\x20]", "", value or "").lower()
                if urlsplit(squeezed).scheme not in SAFE_SCHEMES:
                    self.problems.append(f"href {value!r}")
            if name == "rel":
                assert "nofollow" in value.split()

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.problems.append(f"declaration {decl!r}")

    def unknown_decl(self, data):
        self.problems.append(f"declaration {data!r}")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction {data!r}")


def problems(fragment: str, *, raw=True) -> list[str]:
    """What is wrong with ``fragment``: by its structure, and (raw) by forbidden text anywhere."""
    audit = Audit()
    audit.feed(fragment)
    audit.close()
    lowered = fragment.lower()
    found = [f"raw {token!r}" for token in FORBIDDEN if raw and token in lowered]
    return audit.problems + found


def release_body_on_page(html: str) -> str:
    """The rendered body inside <div class="release-body"> (it holds no <div> of its own)."""
    start = html.index('<div class="release-body">') + len('<div class="release-body">')
    return html[start : html.index("</div>", start)]


def scripts_on_page(html: str) -> list[str]:
    """Every <script> tag of a page, which should be the site's own files only."""
    return re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE)


def publish(world, body: str, title="Rilis Uji Sanitasi") -> Release:
    release = create_release(author=world.humas, unit=world.sepaku, title=title, body=body)
    return publish_release(release=release, actor=world.admin)


def assert_normal_markdown_survives(html: str):
    assert "<strong>patroli dialogis</strong>" in html
    assert "<em>sambang</em>" in html
    assert "<h2>Imbauan</h2>" in html
    assert "<ul>\n<li>jaga keamanan lingkungan</li>" in html
    assert "<ol>\n<li>datang ke TPS</li>" in html
    assert "<blockquote>" in html
    links = re.findall(r"<a [^>]*>", html)[:2]
    assert 'href="https://polri.go.id/berita"' in links[0]
    assert 'href="https://humas.polri.go.id"' in links[1]
    for link in re.findall(r"<a [^>]*>", html):
        rel = re.search(r'rel="([^"]*)"', link).group(1).split()
        assert "nofollow" in rel and "noopener" in rel


# Release bodies


@pytest.mark.parametrize("payload", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_injection_is_removed_from_body_html(payload):
    html = render_markdown(f"{NORMAL}\n\n{payload}\n\nParagraf penutup.")
    assert problems(html) == [], html
    assert_normal_markdown_survives(html)
    if "<math" not in payload:  # an unclosed <style> in <math> rightly swallows the rest
        assert "Paragraf penutup." in html


@pytest.mark.parametrize("payload", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_injection_inline_in_a_paragraph(payload):
    html = render_markdown(f"Awal kalimat {payload} akhir kalimat.")
    # Inline, some payloads are no markup at all (a reference definition must start a line):
    # their words may stay as harmless text, but no tag, attribute or URL may.
    assert problems(html, raw=False) == [], html
    assert "Awal kalimat" in html


def test_every_injection_at_once_on_the_public_page_and_api(world):
    body = "\n\n".join([NORMAL, *INJECTIONS.values(), "Paragraf penutup."])
    release = publish(world, body)
    assert problems(release.body_html) == []
    assert_normal_markdown_survives(release.body_html)
    assert release.body == body  # the source is kept as written

    page = Client().get(f"/berita/{release.slug}/").content.decode()
    fragment = release_body_on_page(page)
    assert problems(fragment) == []
    assert_normal_markdown_survives(fragment)
    assert all(re.search(r'src="/static/[^"]+\.js"', tag) for tag in scripts_on_page(page)), (
        scripts_on_page(page)
    )
    for needle in ("alert(", "evil.example", "onerror", "onload="):
        assert needle not in page.lower()

    api = Client().get(f"/api/v1/public/releases/{release.slug}").json()
    assert problems(api["body_html"]) == []
    staff = Client().get("/api/v1/public/releases").json()["items"][0]
    assert problems(staff["body_html"]) == []


def test_code_shown_as_text_is_escaped_everywhere(world):
    release = publish(world, "Contoh kode: `<script>alert(1)</script>` jangan dijalankan.")
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in release.body_html
    # The summary is plain text (the tag as characters) and must be escaped wherever it goes.
    assert "<script>alert(1)</script>" in release.summary
    page = Client().get(f"/berita/{release.slug}/").content.decode()
    assert "<script>alert(1)" not in page
    assert 'content="Contoh kode: &lt;script&gt;alert(1)&lt;/script&gt;' in page
    feed = Client().get("/berita/feed/").content.decode()
    assert "<script>alert(1)" not in feed
    assert "&lt;script&gt;alert(1)" in feed


def test_meta_tags_cannot_be_broken_out_of(world):
    release = publish(world, 'Kutipan "><script>alert(1)</script> selesai.', title='Judul "><b>x')
    page = Client().get(f"/berita/{release.slug}/").content.decode()
    assert "<script>alert(1)" not in page
    assert '"><b>x' not in page
    assert 'content="Judul &quot;&gt;&lt;b&gt;x"' in page


def test_preview_on_the_desk_is_sanitised(world):
    release = create_release(author=world.humas, unit=world.sepaku, title="Pratinjau", body="x")
    client = Client()
    client.force_login(world.humas)
    body = "\n\n".join([NORMAL, *INJECTIONS.values()])
    response = client.post(
        f"/app/berita/{release.pk}/",
        {"title": "Pratinjau", "dateline": "", "body": body, "action": "preview"},
    )
    assert response.status_code == 200
    assert problems(response.context["preview"]) == []
    assert_normal_markdown_survives(response.context["preview"])


def test_summary_is_plain_text():
    text = plain_text("**Tebal** dan [tautan](https://polri.go.id) <script>alert(1)</script>")
    assert text == "Tebal dan tautan"


# Comment bodies


def known_commenter(release, email="dikenal@example.org"):
    """An address with an approved comment, so that the next one appears at once."""
    comment = Comment.objects.create(
        release=release, name="Warga", email=email, body="Komentar lama.", status="approved"
    )
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(days=1))


def test_comment_body_and_name_are_escaped_on_the_page(world):
    release = publish(world, NORMAL)
    known_commenter(release)
    body = '<script>alert("komentar")</script>\n<b onmouseover="alert(1)">tebal</b> <img src=x>'
    response = Client().post(
        f"/api/v1/public/releases/{release.slug}/comments",
        {"name": "<i>Budi</i>", "email": "dikenal@example.org", "body": body},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "approved"

    page = Client().get(f"/berita/{release.slug}/").content.decode()
    assert "&lt;script&gt;alert(&quot;komentar&quot;)&lt;/script&gt;<br>" in page
    assert "&lt;b onmouseover=&quot;alert(1)&quot;&gt;tebal&lt;/b&gt; &lt;img src=x&gt;" in page
    assert "&lt;i&gt;Budi&lt;/i&gt;" in page
    assert '<script>alert("komentar")' not in page
    assert "<b onmouseover" not in page and "<img src=x" not in page and "<i>Budi" not in page


def test_comment_website_cannot_carry_script(world):
    release = publish(world, NORMAL)
    known_commenter(release)
    api = Client()
    refused = api.post(
        f"/api/v1/public/releases/{release.slug}/comments",
        {
            "name": "Budi",
            "email": "dikenal@example.org",
            "body": "Situs saya.",
            "website": "javascript:alert(1)",
        },
        content_type="application/json",
    )
    assert refused.status_code == 422
    form = Client(REMOTE_ADDR="10.0.0.9").post(
        f"/berita/{release.slug}/",
        {
            "name": "Budi",
            "email": "dikenal@example.org",
            "body": "Situs saya lewat formulir.",
            "website": "javascript:alert(1)",
        },
    )
    assert form.status_code == 200
    assert "website" in form.context["form"].errors
    assert Comment.objects.filter(name="Budi").count() == 0

    sneaky = 'https://budi.example/" onmouseover="alert(1)'
    accepted = Client(REMOTE_ADDR="10.0.0.10").post(
        f"/api/v1/public/releases/{release.slug}/comments",
        {"name": "Budi", "email": "dikenal@example.org", "body": "Lagi.", "website": sneaky},
        content_type="application/json",
    )
    # Accepted as an address (it starts with https://), it must stay inside href="…".
    assert accepted.json() == {"id": accepted.json()["id"], "status": "approved"}
    page = Client().get(f"/berita/{release.slug}/").content.decode()
    assert 'onmouseover="alert(1)' not in page
    assert 'href="https://budi.example/&quot; onmouseover=&quot;alert(1)"' in page
