"""Indonesian full-text search: the same documents and queries give the same rows on SQLite
(FTS5 over Snowball stems) and on PostgreSQL (the ``indonesian`` configuration).

CI runs this file on both databases, and the expected rows are written out: when both runs
pass, both databases agree.
"""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import api_client
from patroli.concerns.models import Category, Concern, ConcernEvent
from patroli.concerns.services import open_concern
from patroli.core import search
from patroli.core.access import visible
from patroli.newsroom.models import Release
from patroli.newsroom.services import create_release, publish_release
from patroli.patrols.models import Visit
from patroli.patrols.services import DialogueData, record_visit
from patroli.units.models import Unit

pytestmark = pytest.mark.django_db

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's indonesian configuration"
)

# The documents, each stored as a concern, a release and a visit.
DOCUMENTS = {
    "sembako": "Pembagian sembako oleh tim sukses calon kepala desa di RT 03.",
    "amplop": "Politik uang: amplop berisi Rp 100.000 dibagikan menjelang pencoblosan.",
    "hoaks": "Beredar hoaks di grup WhatsApp bahwa TPS-001 dipindahkan ke balai desa.",
    "keamanan": "Bhabinkamtibmas mengajak warga menjaga keamanan selama masa tenang.",
    "spanduk": "Spanduk kampanye di pagar sekolah. Tidak ada gangguan; warga tertib.",
    "kas": "Uang kas RT hilang dari rumah bendahara.",
}
EVERYTHING = set(DOCUMENTS)

# Query → the documents it finds, on both databases.
EXPECTED = {
    "pembagian sembako": {"sembako"},
    "SEMBAKO": {"sembako"},
    # Word forms: bagi ← pembagian, dibagikan, membagikan.
    "membagikan": {"sembako", "amplop"},
    "politik uang": {"amplop"},
    "uang": {"amplop", "kas"},
    "hoaks": {"hoaks"},
    "menjaga keamanan": {"keamanan"},
    "diamankan": {"keamanan"},
    # Every word must be found.
    "hoaks sembako": set(),
    "banjir": set(),
    # Whole words only: no prefixes.
    "sembak": set(),
    "sembako*": {"sembako"},
    # Stopwords are left out of the query; the other words still count.
    "sembako yang di desa": {"sembako"},
    # A stem shared with a stopword: ada ← keberadaan; documents keep their stopwords.
    "keberadaan": {"spanduk"},
    # Punctuation, quotes and numbers are read as words, the same way on both databases.
    '"politik uang"': {"amplop"},
    "politik-uang!": {"amplop"},
    "tps 001": {"hoaks"},
    "TPS-001": {"hoaks"},
    "001": {"hoaks"},
    "100.000": {"amplop"},
    "RT": {"sembako", "kas"},
}
# Text, but nothing to look for: these find nothing (and pages say why).
NOTHING = ["yang", "yang dan di", "?!", '""', "   ' ", "—", "x" * 300]
# Query syntax of FTS5 or tsquery in user input is never syntax.
SYNTAX = [
    '"',
    'sembako"',
    "'",
    "*",
    "(",
    "sembako)",
    "NEAR(politik uang)",
    "uang AND",
    "OR NOT",
    "uang:sembako",
    "search_stems:uang",
    'ref:"abc"',
    "^uang",
    "{uang}",
    "-uang",
    "uang & | ! <->",
    "uang' OR 1=1 --",
    "%_\\",
    "\x00uang",
    "uang 🙂 كلمة",
]


def make_concern(world, text: str) -> Concern:
    return open_concern(
        source=Concern.Source.STAFF,
        category=Category.objects.get(code="hoaks"),
        description=text,
        village=world.pps_bumi.village,
        unit=world.sepaku,
    )


def make_release(world, text: str) -> Release:
    release = create_release(author=world.humas, unit=world.sepaku, title=text[:40], body=text)
    return publish_release(
        release=release, actor=world.admin, at=timezone.now() - timedelta(hours=1)
    )


def make_visit(world, text: str) -> Visit:
    """A visit of the PPS office in Bumi Harapan, whose name is searched too."""
    dialogue = DialogueData(participants=[], notes=text)
    return record_visit(
        recorded_by=world.officer,
        site=world.pps_bumi,
        started_at=timezone.now() - timedelta(hours=1),
        dialogue=dialogue,
    )[0]


MAKERS = {Concern: make_concern, Release: make_release, Visit: make_visit}


@pytest.fixture(params=[Concern, Release, Visit], ids=lambda model: model.__name__)
def corpus(request, world):
    """DOCUMENTS stored as one model: (model, {name: pk})."""
    model = request.param
    return model, {name: MAKERS[model](world, text).pk for name, text in DOCUMENTS.items()}


def found(model, pks, query) -> set[str]:
    names = {pk: name for name, pk in pks.items()}
    rows = model.objects.filter(pk__in=names).search(query)
    return {names[pk] for pk in rows.values_list("pk", flat=True)}


@pytest.mark.parametrize("query", list(EXPECTED))
def test_same_results_on_every_database(corpus, query):
    model, pks = corpus
    assert found(model, pks, query) == EXPECTED[query]


def test_a_blank_query_filters_nothing(corpus):
    model, pks = corpus
    assert found(model, pks, "") == found(model, pks, "  \n") == EVERYTHING


@pytest.mark.parametrize("query", NOTHING)
def test_a_query_without_a_word_to_look_for_finds_nothing(corpus, query):
    model, pks = corpus
    assert search.nothing_to_search(query)
    assert found(model, pks, query) == set()


def test_query_syntax_in_user_input_never_fails(corpus):
    model, pks = corpus
    for query in SYNTAX:
        found(model, pks, query)  # no exception
    assert found(model, pks, 'sembako"') == {"sembako"}
    assert found(model, pks, "NEAR(politik uang)") == set()  # "near" is a word here
    assert found(model, pks, "uang' OR 1=1 --") == set()  # "or" and "1" are words too


def test_the_best_match_comes_first(world):
    few = make_release(world, "Himbauan: tolak hoaks, lawan hoaks, laporkan hoaks.")
    many = make_release(
        world, "Rapat koordinasi pengamanan pemilu membahas logistik, patroli dan hoaks."
    )
    assert list(Release.objects.search("hoaks")) == [few, many]


def test_long_queries_are_capped():
    words = [f"kata{n}" for n in range(30)]
    assert search.query_words(" ".join(words)) == words[: search.MAX_QUERY_WORDS]
    # Cut at MAX_QUERY_CHARS, without searching for half a word.
    text = "sembako " * 24 + "pembagian"  # the last word straddles character 200
    assert len(text) > search.MAX_QUERY_CHARS
    assert search.query_words(text) == ["sembako"]
    assert search.query_words("a " * 5000) == ["a"]


def test_words_are_split_and_stemmed_as_postgresql_does():
    assert search.words("TPS-001, Rp100.000 & kpu.go.id; 1e5x") == [
        "tps",
        "001",
        "rp100",
        "000",
        "kpu",
        "go",
        "id",
        "1e5",
        "x",
    ]
    assert search.stems_column("Membagikan sembako, pembagian di TPS01") == (
        "bagi sembako bagi di tps01"
    )
    assert search.query_words("Yang membagikan, dan yang dibagikan") == [
        "membagikan",
        "dibagikan",
    ]


def test_words_are_stemmed_right_by_many_threads_at_once():
    """A server's threads store visits at once: the stemmer keeps its word in itself, so one
    shared by threads mixed their words up (a 500 from an IndexError, or a wrong stem)."""
    import itertools
    import sys
    import threading

    letters = "aeiknmprstub"
    words = ["".join(w) for w in itertools.product(letters, repeat=4)][:3000]
    words = [f"mem{w}kan" for w in words] + [f"di{w}nya" for w in words]
    alone = [search.stem.__wrapped__(word) for word in words]
    found, errors = {}, []

    def work(n):
        try:
            found[n] = [search.stem.__wrapped__(word) for word in words]
        except Exception as error:  # noqa: BLE001 (the race's IndexError, reported below)
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert all(found[n] == alone for n in range(4))


@on_sqlite
def test_the_migration_writes_mixed_up_stems_again(corpus):
    """Stems stored by a stemmer that threads shared (test above): the migrations of
    patrols, concerns and newsroom write them again, and the records are found again."""
    from types import SimpleNamespace

    model, pks = corpus
    columns = model.search_columns
    model.objects.filter(pk=pks["sembako"]).update(search_stems="bag sembak oleh")
    model.objects.filter(pk=pks["kas"]).update(search_stems="")
    assert found(model, pks, "sembako") == set()
    assert found(model, pks, "uang") == {"amplop"}
    right = model.objects.exclude(pk__in=[pks["sembako"], pks["kas"]])
    before = dict(right.values_list("pk", "search_stems"))
    step = search.restemming_migration(model._meta.app_label, model.__name__, columns)
    step.code(apps, SimpleNamespace(connection=connection))
    assert found(model, pks, "sembako") == {"sembako"}
    assert found(model, pks, "uang") == {"amplop", "kas"}
    for record in model.objects.all():
        text = [getattr(record, name) or "" for name in columns]
        assert record.search_stems == search.stems_column(*text)
    assert dict(right.values_list("pk", "search_stems")) == before  # the right ones stay


def test_the_stopword_list():
    assert 100 <= len(search.STOPWORDS) <= 200
    assert all(word.isascii() and word.isalpha() and word.islower() for word in search.STOPWORDS)
    assert {"yang", "dan", "di", "ke", "dari", "untuk", "dengan", "pada", "ada", "tidak"} <= (
        search.STOPWORDS
    )
    # Words that are content in this domain are kept.
    assert not {"bagi", "uang", "politik", "suara", "masa", "aman"} & search.STOPWORDS


# Visits -------------------------------------------------------------------------------------


def test_a_visit_is_found_by_site_topics_notes_and_statement(world):
    visit = record_visit(
        recorded_by=world.officer,
        site=world.pps_bumi,
        started_at=timezone.now() - timedelta(hours=2),
        dialogue=DialogueData(
            participants=[],
            topics=["netralitas ASN", "politik uang"],
            notes="Warga menanyakan jadwal pencoblosan.",
            statement="Mari jaga kamtibmas bersama.",
        ),
    )[0]
    bare = record_visit(recorded_by=world.officer, site=world.tps_bumi, started_at=timezone.now())[
        0
    ]
    assert visit.search_text.startswith("Kantor PPS Desa Bumi Harapan\n")
    for query in ("kantor pps", "netralitas", "politik uang", "dicoblos", "kamtibmas"):
        assert list(Visit.objects.search(query)) == [visit], query
    # A visit without a dialogue is still found by its site.
    assert list(Visit.objects.search("TPS 001")) == [bare]
    assert set(Visit.objects.search("bumi harapan")) == {visit, bare}


def test_equal_matches_come_newest_first(world):
    """Visits to one site without words of their own rank alike: the newest come first, on
    both databases (not the order they were stored in)."""
    now = timezone.now()
    visits = [
        record_visit(
            recorded_by=world.officer, site=world.tps_bumi, started_at=now - timedelta(days=d)
        )[0]
        for d in (3, 1, 5, 2, 4)
    ]
    newest_first = sorted(visits, key=lambda v: v.started_at, reverse=True)
    assert list(Visit.objects.search("TPS 001")) == newest_first


def test_the_visits_api_pages_a_search_in_its_order(world):
    """A page is read as its keys, in the search's order, then the visits (core.pagination
    .Built): best match first, equal ones newest first, not the table's order."""
    now = timezone.now()
    for days, notes in [(3, "uang"), (1, "politik uang"), (5, ""), (2, "politik"), (4, "uang")]:
        record_visit(
            recorded_by=world.officer,
            site=world.tps_bumi,
            started_at=now - timedelta(days=days),
            dialogue=DialogueData(participants=[], notes=notes) if notes else None,
        )
    expected = [str(pk) for pk in Visit.objects.search("TPS uang").values_list("pk", flat=True)]
    assert len(expected) == 3
    client = api_client(world.officer)
    whole = client.get("/api/v1/visits", {"q": "TPS uang"}).json()
    assert [item["id"] for item in whole["items"]] == expected and whole["count"] == 3
    second = client.get("/api/v1/visits", {"q": "TPS uang", "limit": 1, "offset": 1}).json()
    assert [item["id"] for item in second["items"]] == expected[1:2]
    listed = client.get("/api/v1/visits").json()["items"]
    assert [item["id"] for item in listed] == [str(v.pk) for v in Visit.objects.all()]


@pytest.mark.parametrize("url", ["/api/v1/visits", "/api/v1/concerns"])
def test_a_searched_page_counts_every_match(world, url):
    """The count is of every match, whatever the page. On SQLite the statement that reads the
    page's keys counts them too (core.pagination.Built), and no count runs apart unless the page
    is past the last match; on PostgreSQL the count runs apart."""
    for n in range(3):
        make_visit(world, f"Patroli ke-{n} soal politik uang.")
        make_concern(world, f"Laporan ke-{n} soal politik uang.")
    client = api_client(world.kapolsek)
    apart = []
    for params, items in (({"limit": 2}, 2), ({"limit": 2, "offset": 2}, 1), ({"offset": 5}, 0)):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(url, {"q": "politik uang", **params}).json()
        assert (body["count"], len(body["items"])) == (3, items)
        apart.append(sum(q["sql"].startswith("SELECT COUNT(*)") for q in queries))
    assert apart == ([0, 0, 1] if connection.vendor == "sqlite" else [1, 1, 1])


def test_visits_api_searches_behind_the_gate(world):
    mine = make_visit(world, "Sosialisasi anti politik uang.")
    record_visit(
        recorded_by=world.other_officer,
        site=world.pps_penajam,
        started_at=timezone.now(),
        dialogue=DialogueData(participants=[], notes="Sosialisasi anti politik uang."),
    )

    def ids(user, q):
        response = api_client(user).get("/api/v1/visits", {"q": q})
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids(world.officer, "politik uang") == [str(mine.pk)]
    assert len(ids(world.commander, "politik uang")) == 2
    assert ids(world.other_officer, "kantor bumi harapan") == []
    assert ids(world.officer, "yang") == []  # only a stopword: nothing, not everything
    assert len(ids(world.officer, "")) == 1


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


NOTICE = "Tidak ada kata untuk dicari"


def test_visit_list_page_searches(world):
    make_visit(world, "Sosialisasi anti politik uang.")
    record_visit(recorded_by=world.officer, site=world.tps_bumi, started_at=timezone.now())
    searched, other = world.pps_bumi.name, world.tps_bumi.name
    client = logged_in(world.officer)
    html = client.get("/app/kunjungan/", {"q": "politik uang"}).content.decode()
    assert 'name="q"' in html and 'value="politik uang"' in html
    assert searched in html and other not in html
    assert NOTICE not in html
    html = client.get("/app/kunjungan/", {"q": "banjir"}).content.decode()
    assert searched not in html and NOTICE not in html
    html = client.get("/app/kunjungan/", {"q": "yang"}).content.decode()
    assert searched not in html and other not in html and NOTICE in html
    # The gate as before: another Polsek's officer finds nothing of Sepaku's.
    html = logged_in(world.other_officer).get("/app/kunjungan/", {"q": "politik"}).content
    assert searched not in html.decode()


def test_concern_queue_and_api_say_when_there_is_nothing_to_search(world):
    make_concern(world, "Pembagian sembako di RT 03.")
    html = logged_in(world.officer).get("/app/aduan/", {"q": "yang di"}).content.decode()
    assert NOTICE in html
    assert (
        NOTICE not in logged_in(world.officer).get("/app/aduan/", {"q": "sembako"}).content.decode()
    )
    response = api_client(world.officer).get("/api/v1/concerns", {"q": "yang"})
    assert response.json()["items"] == []
    response = api_client(world.officer).get("/api/v1/concerns", {"q": "sembako"})
    assert len(response.json()["items"]) == 1


def test_news_search_pages_and_apis(world):
    make_release(world, "Kampanye damai di Sepaku.")
    assert NOTICE in Client().get("/berita/", {"q": "dan"}).content.decode()
    public = Client().get("/api/v1/public/releases", {"q": "berkampanye"}).json()
    assert [item["title"] for item in public["items"]] == ["Kampanye damai di Sepaku."]
    assert Client().get("/api/v1/public/releases", {"q": "yang"}).json()["items"] == []
    staff = api_client(world.humas).get("/api/v1/releases", {"q": "kampanye damai"}).json()
    assert len(staff["items"]) == 1
    assert api_client(world.humas).get("/api/v1/releases", {"q": "banjir"}).json()["items"] == []


@pytest.mark.parametrize(
    "url", ["/app/kunjungan/", "/app/aduan/", "/berita/"], ids=["visits", "concerns", "news"]
)
def test_searching_adds_at_most_the_units_ids_to_a_list_page(world, url):
    for n in range(3):
        make_visit(world, f"Patroli dialogis ke-{n} soal politik uang.")
        make_concern(world, f"Laporan ke-{n} soal politik uang.")
        make_release(world, f"Rilis ke-{n} soal politik uang.")
    client = logged_in(world.commander)
    counts = []
    for params in ({}, {"q": "politik uang"}):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        counts.append(len(queries))
    # On PostgreSQL a search behind the gate reads its units' ids first (one small query, see
    # test_a_search_behind_the_gate_reads_by_its_units_ids); the public news has no gate.
    gated = connection.vendor == "postgresql" and url != "/berita/"
    assert counts[1] == counts[0] + gated


def test_a_search_behind_the_gate_reads_by_its_units_ids(world):
    """On PostgreSQL a gated search also says its units by their ids, so that the full-text
    index is crossed with the index on the unit instead of reading every match of the country
    (core.search._within_gated_units); it finds the same rows. SQLite is left as it was."""
    mine = make_visit(world, "Sosialisasi anti politik uang.")
    theirs = record_visit(
        recorded_by=world.other_officer,
        site=world.pps_penajam,
        started_at=timezone.now(),
        dialogue=DialogueData(participants=[], notes="Sosialisasi anti politik uang."),
    )[0]
    narrowing = connection.vendor == "postgresql"

    def searched(user, reads=1, **within):
        with CaptureQueriesContext(connection) as queries:
            found = visible(Visit.objects.all(), user, **within).search("politik uang")
        # The ids, read once, when the search is made.
        assert len(queries) == (reads if narrowing else 0)
        return found

    for user, within, expected in (
        (world.officer, {}, [mine]),
        (world.other_officer, {}, [theirs]),
        (world.commander, {}, [theirs, mine]),
        (world.commander, {"within": world.sepaku}, [mine]),
        (world.commander, {"within": world.penajam}, [theirs]),
    ):
        found = searched(user, **within)
        assert list(found) == expected
        sql = str(found.query)
        assert ('"unit_id" IN (' in sql) == narrowing, sql
    # A superuser's search has no gate to narrow by.
    everything = searched(world.admin, reads=0)
    assert '"unit_id" IN (' not in str(everything.query)
    assert set(everything) == {mine, theirs}
    # The top unit, when no other unit lies outside it: every unit, nothing to narrow by
    # (one query to find that out).
    polda = searched(world.admin, reads=1, within=world.polda)
    assert '"unit_id" IN (' not in str(polda.query)
    assert set(polda) == {mine, theirs}
    # With another Polda beside it, its own units' ids.
    Unit.objects.create(code="polda-jateng", name="Polda Jawa Tengah", level="polda")
    polda = searched(world.admin, reads=2, within=world.polda)
    assert ('"unit_id" IN (' in str(polda.query)) == narrowing
    assert set(polda) == {mine, theirs}


# The indexes --------------------------------------------------------------------------------


def test_backfill_migrations_fill_the_stems(world):
    concern = make_concern(world, "Pembagian sembako di RT 03.")
    release = make_release(world, "Kampanye damai di Sepaku.")
    visit = make_visit(world, "Sosialisasi anti politik uang.")
    Concern.objects.update(search_stems="")
    Release.objects.update(search_stems="")
    Visit.objects.update(search_text="", search_stems="")
    for name in (
        "patroli.concerns.migrations.0006_fulltext",
        "patroli.newsroom.migrations.0002_fulltext",
        "patroli.patrols.migrations.0009_visit_search",
    ):
        importlib.import_module(name).backfill(apps, connection.schema_editor())
    assert list(Concern.objects.search("membagikan")) == [concern]
    assert list(Release.objects.search("berkampanye")) == [release]
    assert list(Visit.objects.search("politik uang kantor")) == [visit]
    visit.refresh_from_db()
    assert visit.search_text == "Kantor PPS Desa Bumi Harapan\nSosialisasi anti politik uang."


@on_sqlite
def test_sqlite_triggers_follow_inserts_updates_and_deletes(world):
    concern = make_concern(world, "Pembagian sembako di RT 03.")
    visit = make_visit(world, "Sosialisasi anti politik uang.")
    Concern.objects.filter(pk=concern.pk).update(search_stems=search.stems_column("banjir"))
    Visit.objects.filter(pk=visit.pk).update(search_stems=search.stems_column("banjir"))
    assert list(Concern.objects.search("sembako")) == []
    assert list(Concern.objects.search("banjir")) == [concern]
    assert list(Visit.objects.search("politik")) == []
    assert list(Visit.objects.search("banjir")) == [visit]
    Concern.objects.filter(pk=concern.pk).delete()
    visit.delete()
    with connection.cursor() as cursor:
        for table in ("concerns_concern_fts", "patrols_visit_fts"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            assert cursor.fetchone() == (0,), table


@on_sqlite
def test_sqlite_triggers_lost_to_a_table_rebuild_are_put_back(world):
    """SQLite drops triggers with their table, as a migration's table rebuild does."""
    for model in (Concern, Release, Visit):
        assert search.sqlite_index_intact(connection, model)
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER concerns_concern_fts_insert")
    assert not search.sqlite_index_intact(connection, Concern)
    concern = make_concern(world, "Pembagian sembako di RT 03.")
    assert list(Concern.objects.search("sembako")) == []
    search.repair_sqlite_indexes(using="default")  # what every migrate does at its end
    assert search.sqlite_index_intact(connection, Concern)
    assert list(Concern.objects.search("sembako")) == [concern]


@on_postgresql
def test_postgresql_searches_through_the_gin_indexes(world):
    make_concern(world, "Pembagian sembako di RT 03.")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    for model in (Concern, Release, Visit):
        plan = model.objects.search("pembagian sembako").explain(verbose=True)
        assert f"{model._meta.db_table}_search" in plan, plan
        # Ranked from the stored document, not from the text again.
        assert "to_tsvector" not in plan, plan


@on_postgresql
def test_postgresql_stored_documents_follow_inserts_and_updates(world):
    concern = make_concern(world, "Pembagian sembako di RT 03.")
    visit = make_visit(world, "Sosialisasi anti politik uang.")
    assert list(Concern.objects.search("sembako")) == [concern]
    Concern.objects.filter(pk=concern.pk).update(description="Banjir di RT 03.")
    Visit.objects.filter(pk=visit.pk).update(search_text="Banjir di pasar.")
    assert list(Concern.objects.search("sembako")) == []
    assert list(Concern.objects.search("banjir")) == [concern]
    assert list(Visit.objects.search("politik")) == []
    assert list(Visit.objects.search("banjir")) == [visit]


def test_a_search_inside_a_subquery(world):
    """The stored document is a column of the searched table, renamed with it in a subquery."""
    best = make_concern(world, "Sembako, sembako.")  # the best match, and the oldest
    concern = make_concern(world, "Pembagian sembako di RT 03.")
    copy = make_concern(world, "Banjir di RT 03.")
    Concern.objects.filter(pk=copy.pk).update(duplicate_of=concern)
    # Read from the outer table instead, the document would find no copy: the copy's own
    # text does not match.
    searched = Concern.objects.search("sembako").values("pk")
    assert list(Concern.objects.filter(duplicate_of__in=searched)) == [copy]
    events = ConcernEvent.objects.filter(concern__in=Concern.objects.search("sembako"))
    assert {event.concern_id for event in events} == {best.pk, concern.pk}
    # Sliced, the subquery keeps its order, best first: ranked from its own row too (ranked
    # from the outer row, every match ranks alike, and the newest would come first).
    first = Concern.objects.search("sembako").values("pk")[:1]
    assert list(Concern.objects.filter(pk__in=first)) == [best]


@on_postgresql
def test_postgresql_search_vector_migrations_go_back_and_forth(world):
    """Back to the GIN index on the document computed from the text, and forward again."""
    concern = make_concern(world, "Pembagian sembako di RT 03.")
    connection.check_constraints()  # PostgreSQL alters no table with pending trigger events
    steps = [
        ("patroli.concerns.migrations.0008_search_vector", Concern),
        ("patroli.newsroom.migrations.0003_search_vector", Release),
        ("patroli.patrols.migrations.0014_search_vector", Visit),
    ]

    def columns(model) -> set[str]:
        with connection.cursor() as cursor:
            described = connection.introspection.get_table_description(cursor, model._meta.db_table)
        return {column.name for column in described}

    def indexes(model) -> set[str]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, model._meta.db_table)
        return set(found)

    for name, model in steps:
        (step,) = importlib.import_module(name).Migration.operations
        step.reverse_code(apps, connection.schema_editor())
        table = model._meta.db_table
        assert "search_vector" not in columns(model)
        assert f"{table}_fulltext" in indexes(model) and f"{table}_search" not in indexes(model)
    assert list(Concern.objects.filter(description__contains="sembako")) == [concern]
    for name, model in steps:
        (step,) = importlib.import_module(name).Migration.operations
        step.code(apps, connection.schema_editor())
        table = model._meta.db_table
        assert "search_vector" in columns(model)
        assert f"{table}_search" in indexes(model) and f"{table}_fulltext" not in indexes(model)
    assert list(Concern.objects.search("membagikan")) == [concern]


@on_postgresql
def test_postgresql_stems_as_python_does():
    """The indonesian configuration over the words of a text gives exactly our stems."""
    texts = [*DOCUMENTS.values(), *EXPECTED, *SYNTAX, "Membagikan TPS01 1e5x Rp100.000 Pémilu"]
    with connection.cursor() as cursor:
        for text in texts:
            cursor.execute(
                "SELECT array(SELECT lexeme FROM unnest(to_tsvector('indonesian'::regconfig, "
                "regexp_replace(%s, '[^A-Za-z0-9]+', ' ', 'g'))))",
                [text.replace("\x00", "")],
            )
            assert set(cursor.fetchone()[0]) == set(search.stems_column(text).split()), text
