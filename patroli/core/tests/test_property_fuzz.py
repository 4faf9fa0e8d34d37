"""Arbitrary input never crashes the CSV importers, Open311 or the release drafting (Hypothesis).

- The importers of sites, regions and risk baselines, fed rows of anything (broken encodings,
  wrong column counts, huge fields, spreadsheet formulas, NUL bytes, unbalanced quotes, gzip that
  is not), return their result with every error on a line, and write all of a file or nothing.
- Open311's POST /requests.{json,xml}, given any form, answers 201 or an error in the spec's
  format, never a 500; what it stores reads back as valid JSON and XML.
- A release drafted from any visit (names with quotes and emoji, empty lists, very long topics)
  is Indonesian, fits its columns, and never tells a reporter's contact.

Examples are bounded and derandomized, so CI runs the same ones every time; the counts are
printed at the end of the module.
"""

import csv
import gzip
import io
import json
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import hypothesis
import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from patroli.audit.models import AuditEvent
from patroli.concerns.models import Category, Concern, Open311Key
from patroli.core.importing import ImportResult, RowError
from patroli.elections.baseline import import_baselines
from patroli.elections.models import RiskBaseline
from patroli.newsroom.drafting import MONTHS, draft_release
from patroli.newsroom.models import Release
from patroli.newsroom.services import create_release
from patroli.patrols.models import Appeal, Visit
from patroli.patrols.services import ConcernData, DialogueData, ParticipantData, record_visit
from patroli.regions.importer import COLUMNS as REGION_COLUMNS
from patroli.regions.importer import import_regions
from patroli.regions.models import Region
from patroli.sites.importer import import_sites
from patroli.sites.models import Site

pytestmark = pytest.mark.django_db
WITA = ZoneInfo("Asia/Makassar")
counts: Counter = Counter()
# Examples that got past the checks: imports written, Open311 requests created.
accepted: Counter = Counter()


def bounded(n: int):
    return hypothesis.settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        # The fixtures (regions, units, officers) are built once per test, on purpose.
        suppress_health_check=list(hypothesis.HealthCheck),
    )


@pytest.fixture(scope="module", autouse=True)
def report_counts(request):
    counts.clear()
    yield
    plugins = request.config.pluginmanager
    with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
        plugins.get_plugin("terminalreporter").ensure_newline()
        for target, n in counts.items():
            extra = f" ({accepted[target]} accepted)" if target in accepted else ""
            plugins.get_plugin("terminalreporter").write_line(
                f"hypothesis, {target}: {n} examples{extra}"
            )


# CSV files of anything ---------------------------------------------------------------------

# Text that spreadsheets and people put into cells.
NASTY = [
    "",
    " ",
    "=1+1",
    '=HYPERLINK("http://contoh.id","klik")',
    "@SUM(A1:A9)",
    "+62 811-555",
    "-1",
    "1e308",
    "1e-400",
    "nan",
    "inf",
    "-0",
    "0x1F",
    "１２",  # full-width digits
    "٣",  # an Arabic-Indic digit
    '"',
    '""',
    ",",
    "\r\n",
    "\x00",
    "a\x00b",
    "\ufeff",
    'Kantor PPS "Bumi" Harapan, RT 03',
    "Masjid Al-Ikhlas 🕌",
]
HUGE = "x" * 200_000  # beyond the csv module's field limit (131,072)
cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(NASTY),
    st.just(HUGE),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**20), 10**20).map(str),
)


def table(header: list[str], good_row):
    """Rows under a header that is right, reordered, short of a column, or anything; each row
    good, good with a cell replaced, of the wrong length, or anything."""
    headers = st.one_of(
        st.just(header),
        st.permutations(header),
        st.permutations(header).map(lambda h: h[1:]),
        st.just(header).map(lambda h: [*h, "extra"]),
        st.lists(st.one_of(st.sampled_from(header), cells), max_size=8),
    )

    def rows_for(head):
        def spoil(row_and_index):
            row, (i, value) = row_and_index
            if not row:
                return row
            row = list(row)
            row[i % len(row)] = value
            return row

        good = good_row.map(lambda values: [values.get(name, "") for name in head])
        row = st.one_of(
            good,
            st.tuples(good, st.tuples(st.integers(0, 50), cells)).map(spoil),
            st.lists(cells, max_size=len(head) + 3),
        )
        return st.tuples(st.just(head), st.lists(row, max_size=8))

    return headers.flatmap(rows_for)


def encode(head: list[str], rows: list[list[str]], how: dict) -> bytes:
    """The table as bytes: proper CSV or naive joins, some line ending, some encoding."""
    if how["quoting"]:
        out = io.StringIO()
        csv.writer(out, lineterminator=how["newline"]).writerows([head, *rows])
        text = out.getvalue()
    else:  # quotes and commas left as they are: fields run into each other
        text = "".join(",".join(row) + how["newline"] for row in [head, *rows])
    encoding = how["encoding"]
    data = text.encode("utf-8" if encoding == "broken" else encoding, errors="replace")
    if encoding == "broken":  # a stray byte that no UTF-8 sequence starts or continues with
        at = how["at"] % (len(data) + 1)
        data = data[:at] + how["junk"] + data[at:]
    return data


how_to_write = st.fixed_dictionaries(
    {
        "quoting": st.booleans(),
        "newline": st.sampled_from(["\n", "\r\n", "\r"]),
        "encoding": st.sampled_from(
            ["utf-8", "utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "broken"]
        ),
        "at": st.integers(0, 10_000),
        "junk": st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\x80\x80", b"\xed\xa0\x80"]),
        "gzip": st.sampled_from(["no", "no", "no", "yes", "not really", "cut short"]),
    }
)


def write(tmp_path, head, rows, how) -> str:
    data = encode(head, rows, how)
    if how["gzip"] == "no":
        path = tmp_path / "import.csv"
        path.write_bytes(data)
        return path
    path = tmp_path / "import.csv.gz"
    if how["gzip"] == "yes":
        data = gzip.compress(data)
    elif how["gzip"] == "cut short":
        data = gzip.compress(data)[: max(1, len(data) // 2)]
    path.write_bytes(data)  # "not really": plain bytes named .gz
    return path


def check_import(target: str, result, before: tuple, after: tuple) -> None:
    """The importer's own result; each error on a line; all of the file or nothing."""
    assert isinstance(result, ImportResult)
    counts[target] += 1
    accepted[target] += result.written
    for error in result.errors:
        assert isinstance(error, RowError)
        assert isinstance(error.line, int) and error.line >= 1, error
        assert error.message and str(error).startswith(f"line {error.line}: ")
    if result.written:
        assert after[0] == before[0] + result.created
    else:
        assert result.errors
        assert after == before


VILLAGES = ["64.09.04.2004", "64.09.01.1003", "64.09.04", "6409042004", "99.99.99.9999"]
site_row = st.fixed_dictionaries(
    {
        "name": st.one_of(st.text(min_size=2, max_size=40), st.sampled_from(NASTY)),
        "kind": st.one_of(st.sampled_from(Site.Kind.values), cells),
        "village": st.one_of(st.sampled_from(VILLAGES), cells),
        "unit": st.sampled_from(["", "polsek-sepaku", "polsek-penajam", "polsek-entah"]),
        "lat": st.one_of(st.just(""), st.floats(-1.5, 0).map(str), cells),
        "lng": st.one_of(st.just(""), st.floats(116, 117).map(str), cells),
        "tps_number": st.one_of(st.just(""), st.integers(0, 10_000).map(str), cells),
        "voters": st.one_of(st.just(""), st.integers(0, 1000).map(str), cells),
        "address": st.one_of(st.text(max_size=40), cells),
    }
)


@bounded(100)
@given(
    table(
        ["name", "kind", "village", "unit", "lat", "lng", "tps_number", "voters", "address"],
        site_row,
    ),
    how_to_write,
)
def test_site_import_of_anything(world, tmp_path, data, how):
    head, rows = data
    path = write(tmp_path, head, rows, how)
    before = (Site.objects.count(), AuditEvent.objects.count())
    result = import_sites(path)
    check_import("site import", result, before, (Site.objects.count(), AuditEvent.objects.count()))


region_row = st.fixed_dictionaries(
    {
        "kode": st.one_of(
            st.integers(2000, 2099).map(lambda n: f"64.09.04.{n}"),
            st.sampled_from(["64.09.04", "64.09", "64", "64.09.04.20041"]),
            cells,
        ),
        "kode_induk": st.one_of(st.just("64.09.04"), cells),
        "tingkat": st.one_of(st.just("4"), st.sampled_from(["1", "2", "3", "5", "0"]), cells),
        "jenis": st.one_of(st.sampled_from(["desa", "kelurahan", "kecamatan"]), cells),
        "nama": st.one_of(st.text(min_size=1, max_size=40), st.sampled_from(NASTY)),
        "lat": st.one_of(st.just(""), st.floats(-1.5, 0).map(str), cells),
        "lng": st.one_of(st.just(""), st.floats(116, 117).map(str), cells),
        "kodepos": st.one_of(st.just(""), st.from_regex(r"\d{5}", fullmatch=True), cells),
    }
)


@bounded(100)
@given(table([*sorted(REGION_COLUMNS), "kodepos"], region_row), how_to_write)
def test_region_import_of_anything(regions, tmp_path, data, how):
    head, rows = data
    path = write(tmp_path, head, rows, how)
    before = (Region.objects.count(),)
    result = import_regions(path)
    check_import("region import", result, before, (Region.objects.count(),))


score = st.one_of(st.floats(0, 100).map(str), st.integers(-5, 105).map(str), cells)
baseline_row = st.fixed_dictionaries(
    {
        "region": st.one_of(st.sampled_from(["64", "64.09", "64.09.04", *VILLAGES]), cells),
        "social_political": score,
        "administration": score,
        "contestation": score,
        "participation": score,
        "source": st.one_of(st.text(max_size=40), cells),
    }
)


@bounded(100)
@given(
    table(
        [
            "region",
            "social_political",
            "administration",
            "contestation",
            "participation",
            "source",
        ],
        baseline_row,
    ),
    how_to_write,
)
def test_baseline_import_of_anything(regions, tmp_path, data, how):
    head, rows = data
    path = write(tmp_path, head, rows, how)
    before = (RiskBaseline.objects.count(),)
    result = import_baselines(path)
    check_import("risk baseline import", result, before, (RiskBaseline.objects.count(),))


# Open311 -----------------------------------------------------------------------------------

OPEN311 = "/open311/v2"
FIELDS = [
    "api_key",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "attribute[village]",
    "attribute[rt][]",
    "description",
    "first_name",
    "last_name",
    "phone",
    "email",
    "device_id",
    "account_id",
    "media_url",
    "jurisdiction_id",
]
VALID_KEY = "<the valid key>"
values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(NASTY),
    st.sampled_from(
        [
            VALID_KEY,
            "jalan-rusak",
            "hoaks",
            "64.09.04.2004",
            "6409042004",
            "-0.9239",
            "116.5830",
            "1e999",
            "Desa Bumi Harapan",
            "warga@contoh.id",
            "a" * 5000,
        ]
    ),
)
form = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)), values, max_size=14
)
# A form Open311 accepts, then with some of its fields replaced by anything: so that the checks
# past the key, the service and the place run too.
good_form = st.fixed_dictionaries(
    {
        "api_key": st.just(VALID_KEY),
        "service_code": st.sampled_from(["jalan-rusak", "hoaks", "listrik"]),
        "attribute[village]": st.sampled_from(["64.09.04.2004", "6409042004", "64.09.01.1003"]),
        "description": st.text(max_size=300),
    },
    optional={
        "address_string": st.text(max_size=100),
        "first_name": st.text(max_size=60),
        "last_name": st.text(max_size=60),
        "phone": st.from_regex(r"08\d{8,11}", fullmatch=True),
        "email": st.emails(),
        "device_id": st.text(max_size=40),
        "media_url": st.text(max_size=100),
    },
)
forms = st.one_of(
    form,
    st.tuples(good_form, form).map(lambda pair: {**pair[0], **pair[1]}),
    good_form,
)
bodies = st.sampled_from(["urlencoded", "multipart", "raw"])
raw_bodies = st.tuples(
    st.binary(max_size=300),
    st.sampled_from(
        [
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/x-www-form-urlencoded",
            "application/json",
            "text/xml",
            "",
        ]
    ),
)


def open311_errors(response, fmt: str) -> list[tuple[int, str]]:
    """The errors of an answer in GeoReport v2's format: a list of (code, description)."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        data = json.loads(response.content)
        assert isinstance(data, list) and data
        assert all(set(e) == {"code", "description"} for e in data), data
        pairs = [(e["code"], e["description"]) for e in data]
    else:
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        root = ET.fromstring(response.content)  # noqa: S314 - our own answer
        assert root.tag == "errors" and len(root)
        pairs = [(int(e.findtext("code")), e.findtext("description")) for e in root]
    assert all(code == response.status_code and text for code, text in pairs), pairs
    return pairs


def open311_requests(response, fmt: str) -> list[dict]:
    if fmt == "json":
        return json.loads(response.content)
    root = ET.fromstring(response.content)  # noqa: S314 - our own answer
    assert root.tag == "service_requests"
    return [{child.tag: child.text or "" for child in item} for item in root]


@pytest.fixture
def open311_key(world):
    return Open311Key.issue("Aplikasi Lapor Desa")[1]


@bounded(100)
@given(forms, bodies, raw_bodies, st.sampled_from(["json", "xml"]))
def test_open311_post_of_anything(world, open311_key, data, body, raw, fmt):
    counts["Open311 POST requests"] += 1
    data = {k: (open311_key if v == VALID_KEY else v) for k, v in data.items()}
    client = Client()
    url = f"{OPEN311}/requests.{fmt}"
    if body == "urlencoded":
        response = client.post(
            url, urlencode(data), content_type="application/x-www-form-urlencoded"
        )
    elif body == "multipart":
        response = client.post(url, data)
    else:
        response = client.post(url, raw[0], content_type=raw[1])
    assert response.status_code in (201, 400, 403, 404), response.content[:500]
    if response.status_code != 201:
        open311_errors(response, fmt)
        return
    accepted["Open311 POST requests"] += 1
    [created] = open311_requests(response, fmt)
    code = created["service_request_id"]
    concern = Concern.objects.get(tracking_code=code)
    assert concern.source == Concern.Source.OPEN311
    for read_fmt in ("json", "xml"):  # what was stored reads back in both formats
        answer = client.get(f"{OPEN311}/requests/{code}.{read_fmt}")
        assert answer.status_code == 200
        [read] = open311_requests(answer, read_fmt)
        assert read["service_request_id"] == code
        for secret in (concern.reporter_phone, concern.reporter_email):
            assert not secret or secret not in answer.content.decode()


filters = st.dictionaries(
    st.sampled_from(
        ["start_date", "end_date", "status", "service_code", "service_request_id", "page"]
    ),
    st.one_of(
        values,
        st.sampled_from(
            ["2024-01-23", "2024-01-23T08:00:00+08:00", "2024-01-23 08:00:00 08:00", "open,closed"]
        ),
    ),
    max_size=5,
)


@bounded(100)
@given(filters, st.sampled_from(["json", "xml"]), st.text(max_size=20))
def test_open311_get_of_anything(world, filters, fmt, some_id):
    counts["Open311 GET requests and request/{id}"] += 1
    client = Client()
    response = client.get(f"{OPEN311}/requests.{fmt}", filters)
    assert response.status_code in (200, 400), response.content[:500]
    if response.status_code == 400:
        open311_errors(response, fmt)
    else:
        assert isinstance(open311_requests(response, fmt), list)
    detail = client.get(f"{OPEN311}/requests/{quote(some_id, safe='')}.{fmt}")
    assert detail.status_code in (200, 400, 404), detail.content[:500]
    if detail.status_code != 200:
        open311_errors(detail, fmt)


# Drafting ----------------------------------------------------------------------------------


def text(**sizes):
    """Text a record can hold: no NUL (PostgreSQL refuses it, so do the API and the forms) and
    no lone surrogate (not UTF-8: refused on the way in)."""
    return st.text(
        alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), **sizes
    )


words = st.one_of(
    text(min_size=1, max_size=60),
    st.sampled_from(
        [
            'Pak "Haji" Suparno',
            "Siti 'Ani' Aminah",
            "Heru 👮‍♂️ Santoso",
            "*tebal* _miring_ [tautan](x) `kode`",
            "<script>alert(1)</script>",
            "O'Neil",
            "Ketua PPS, Desa Bumi Harapan",
            " ",
        ]
    ),
)
participant = st.builds(
    ParticipantData,
    name=words,
    role=st.one_of(st.just(""), words),
    organisation=st.one_of(st.just(""), words),
)
topic = st.one_of(words, text(min_size=500, max_size=5000), st.just("Pemilu " * 800))
moment = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(WITA)
)


def name_of(shortest: int, longest: int):
    """A name that fits its column: short, or as long as the column takes."""
    return st.one_of(
        text(min_size=shortest, max_size=30),
        text(min_size=longest - 5, max_size=longest),
        words.map(lambda w: w[:longest]),
    ).filter(lambda name: len(name.strip()) >= shortest)


reporter = st.fixed_dictionaries(
    {
        "reporter_name": st.from_regex(r"Pelapor [A-Z][a-z]{8,12}", fullmatch=True),
        "reporter_phone": st.from_regex(r"08[1-9]\d{9,10}", fullmatch=True),
        "reporter_email": st.from_regex(r"pelapor[a-z]{6}@rahasia\.id", fullmatch=True),
    }
)
visit_data = st.fixed_dictionaries(
    {
        "id": st.uuids(),
        "site_name": name_of(2, 160),
        "unit_name": name_of(1, 120),
        "district": name_of(1, 120),
        "village": name_of(1, 120),
        "officer_names": st.lists(st.tuples(words, words, words), min_size=2, max_size=2),
        "with_officers": st.sampled_from(["both", "kapolsek", "officer", "none"]),
        "kind": st.sampled_from(Visit.Kind.values),
        "start": moment,
        "hours": st.one_of(st.none(), st.floats(0, 80)),
        "dialogue": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "participants": st.lists(participant, max_size=6),
                    "attendees": st.integers(0, 100_000),
                    "topics": st.lists(topic, max_size=5),
                    "appeals": st.integers(0, 10),
                    "response": st.sampled_from(["", "positive", "neutral", "negative"]),
                    "notes": text(max_size=200),
                    "statement": st.one_of(st.just(""), words, text(max_size=4000)),
                }
            ),
        ),
        "concerns": st.lists(st.tuples(text(min_size=3, max_size=80), reporter), max_size=3),
    }
)
INDONESIAN = ("menggelar", "melaksanakan", "menyambangi")
HEADLINE = ("Gelar", "Laksanakan", "Sambangi", "Sampaikan")


@bounded(60)
@given(visit_data)
def test_drafting_any_visit(world, data):
    counts["drafting"] += 1
    Region.objects.filter(code="64.09.04").update(name=data["district"])
    Region.objects.filter(code="64.09.04.2004").update(name=data["village"])
    world.sepaku.name = data["unit_name"]
    world.sepaku.save()
    site = world.pps_bumi
    site.name = data["site_name"]
    site.save()
    for person, (first, last, position) in zip(
        [world.kapolsek, world.officer], data["officer_names"], strict=True
    ):
        person.first_name, person.last_name = first[:150], last[:150]
        person.position = position[:120]
        person.save()
    officers = {
        "both": [world.kapolsek, world.officer],
        "kapolsek": [world.kapolsek],
        "officer": [world.officer],
        "none": [],
    }[data["with_officers"]]
    dialogue = None
    if (d := data["dialogue"]) is not None:
        dialogue = DialogueData(
            participants=d["participants"],
            attendees=d["attendees"],
            topics=d["topics"],
            appeals=list(Appeal.objects.order_by("code")[: d["appeals"]]),
            response=d["response"],
            notes=d["notes"],
            statement=d["statement"],
        )
    category = Category.objects.order_by("code").first()
    start = data["start"]
    visit, _ = record_visit(
        # The phrasing follows from the id; a new id each time, or it is the earlier visit.
        visit_id=uuid.uuid5(data["id"], str(counts["drafting"])),
        recorded_by=world.kapolsek,
        officers=officers,
        site=site,
        started_at=start,
        ended_at=None if data["hours"] is None else start + timedelta(hours=data["hours"]),
        kind=data["kind"],
        dialogue=dialogue,
        concerns=[ConcernData(category, text) for text, _ in data["concerns"]],
    )
    secrets = []
    for concern, (_, contact) in zip(visit.concerns.order_by("pk"), data["concerns"], strict=True):
        Concern.objects.filter(pk=concern.pk).update(**contact)
        secrets += contact.values()

    visit = Visit.objects.with_details().get(pk=visit.pk)
    draft = draft_release(visit)
    release = create_release(
        author=world.humas,
        unit=visit.unit,
        visit=visit,
        title=draft.title,
        dateline=draft.dateline,
        body=draft.body,
    )

    for field in ("title", "dateline"):
        limit = Release._meta.get_field(field).max_length
        assert 0 < len(getattr(release, field)) <= limit, (field, getattr(release, field))
    month = MONTHS[start.month - 1]
    assert draft.dateline.endswith(f", {start.day} {month} {start.year} –"), draft.dateline
    lead = draft.body.split("\n\n")[0]
    assert lead.startswith(draft.dateline)
    assert any(verb in lead for verb in INDONESIAN), lead[:500]
    assert any(verb in draft.title for verb in HEADLINE), draft.title
    for secret in secrets:
        assert secret not in draft.title and secret not in draft.body
