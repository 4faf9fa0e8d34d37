"""Drafting a release from a patrol record: Indonesian news style, only facts from the record."""

import re
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from patroli.concerns.models import Category
from patroli.elections.models import Stage
from patroli.newsroom.drafting import draft_release
from patroli.patrols.models import Appeal, Visit
from patroli.patrols.services import ConcernData, DialogueData, ParticipantData, record_visit
from patroli.sites.models import Site

WITA = ZoneInfo("Asia/Makassar")
NAMESPACE = uuid.UUID("0b0a4f67-39a4-4d36-9a59-4e8f3b0f4c21")
MONTHS = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip
DEMO_APPEALS = ["kamtibmas-pemilu", "partisipasi-warga", "tolak-politik-uang", "waspada-hoaks"]
PARTICIPANTS = [
    ParticipantData("Suparno", "Ketua PPS", "PPS Desa Bumi Harapan"),
    ParticipantData("Siti Aminah", "Anggota PPS", "PPS Desa Bumi Harapan"),
    ParticipantData("Agus Setiawan", "Anggota PPS", "PPS Desa Bumi Harapan"),
    ParticipantData("Heru Santoso", "Sekretaris PPS", "Sekretariat PPS"),
]
TOPICS = [
    "Persiapan pemungutan suara Pemilu 2024 di Desa Bumi Harapan",
    "Keamanan logistik pemilu selama disimpan di kantor PPS",
    "Dua TPS khusus bagi pekerja pembangunan IKN",
]
STATEMENT = (
    "Kami mengajak penyelenggara dan seluruh warga Desa Bumi Harapan bersama-sama menjaga "
    "keamanan dan ketertiban lingkungan, agar pemungutan suara berjalan aman, damai, dan lancar."
)
# How the purpose paragraph says what the visit was for, in any of its phrasings.
PURPOSE = "bertujuan untuk|dimaksudkan untuk|dilaksanakan untuk|digelar guna"
LIGHTS = "Penerangan di sekitar kantor PPS kurang pada malam hari."


def at(year, month, day, hour=10, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WITA)


def appeals(*codes) -> list[Appeal]:
    by_code = Appeal.objects.in_bulk(codes, field_name="code")
    return [by_code[c] for c in codes]


def dialogue(**changes) -> DialogueData:
    fields = dict(
        participants=PARTICIPANTS,
        attendees=9,
        topics=TOPICS,
        appeals=appeals(*DEMO_APPEALS),
        response="positive",
        notes="Para anggota PPS siap bekerja sama.",
        statement=STATEMENT,
    )
    return DialogueData(**{**fields, **changes})


@pytest.fixture
def team(world):
    """The Kapolsek and the Bhabinkamtibmas of Bumi Harapan with their positions, as in the demo."""
    world.kapolsek.position = "Kapolsek Sepaku"
    world.kapolsek.save()
    world.officer.last_name = "Hidayat"
    world.officer.position = "Bhabinkamtibmas Desa Bumi Harapan"
    world.officer.save()
    return world


def visit(world, key="demo", *, site=None, start=None, end=..., officers=None, **fields):
    """A visit recorded the way the field app records it; the demo visit unless told otherwise.

    It lasts 75 minutes unless ``end`` says otherwise (None: no end recorded).
    """
    start = start or at(2024, 1, 23)
    if end is ...:
        end = start.replace(hour=start.hour + 1, minute=15)
    fields.setdefault("dialogue", dialogue())
    recorded, _ = record_visit(
        visit_id=uuid.uuid5(NAMESPACE, key),
        recorded_by=world.kapolsek,
        officers=officers if officers is not None else [world.kapolsek, world.officer],
        site=site or world.pps_bumi,
        started_at=start,
        ended_at=end,
        **fields,
    )
    return Visit.objects.with_details().get(pk=recorded.pk)


def assert_clean(draft):
    """No placeholder, no empty slot, no doubled punctuation left by a missing value."""
    for text in (draft.title, draft.dateline, draft.body):
        for bad in ("None", "{", "}", "[]", "()", "  ", " ,", " .", ",,", "..", ", .", "''"):
            assert bad not in text, (bad, text)
    for paragraph in draft.body.split("\n\n"):
        assert paragraph.strip() == paragraph and paragraph, repr(draft.body)


@pytest.mark.django_db
class TestDemoVisit:
    @pytest.fixture
    def draft(self, team):
        concern = ConcernData(Category.objects.get(code="listrik"), LIGHTS)
        return draft_release(visit(team, concerns=[concern]))

    def test_dateline_and_title(self, draft):
        assert draft.dateline == "Sepaku, 23 Januari 2024 –"
        assert "Polsek Sepaku" in draft.title
        assert "Kantor PPS Desa Bumi Harapan" in draft.title
        assert "Patroli Dialogis" in draft.title
        assert draft.body.startswith("Sepaku, 23 Januari 2024 – ")
        assert_clean(draft)

    def test_lead_says_who_what_where_when(self, draft):
        lead = draft.body.split("\n\n")[0]
        assert "Kapolsek Sepaku AKP Kasiyono" in lead
        assert "Bhabinkamtibmas Desa Bumi Harapan Aipda Rahmat Hidayat" in lead
        assert "patroli dialogis" in lead
        assert "Kecamatan Sepaku" in lead
        assert "Selasa" in lead
        assert "10.00" in lead and "11.15 WITA" in lead
        assert "keamanan logistik pemilu selama disimpan di kantor PPS" in lead
        assert "dua TPS khusus bagi pekerja pembangunan IKN" in lead

    def test_everything_recorded_is_told(self, draft):
        body = draft.body
        for person in PARTICIPANTS:
            assert person.name in body
            assert person.role in body
        for appeal in appeals(*DEMO_APPEALS):
            if appeal.code == "partisipasi-warga":
                continue  # its own sentence, tested below
            assert appeal.title.lower() in body.lower() or appeal.text[1:60] in body, appeal.code
        assert f'"{STATEMENT[:-1]},"' in body
        assert "9 orang" in body
        assert "menyambut baik" in body or "positif" in body
        assert "ditindaklanjuti" in body

    def test_purpose_is_stated_by_the_kapolsek(self, draft):
        purpose = next(p for p in draft.body.split("\n\n") if re.search(PURPOSE, p))
        assert "Kapolsek Sepaku AKP Kasiyono" in purpose
        assert "berdialog langsung dengan PPS Desa Bumi Harapan" in purpose

    def test_campaign_stage(self, draft):
        stage = next(p for p in draft.body.split("\n\n") if "14 Februari 2024" in p)
        assert "kampanye" in stage
        assert "Pemilu 2024" in stage

    def test_nothing_beyond_the_record(self, draft):
        text = f"{draft.title}\n{draft.body}"
        assert "Pilkada" not in text
        assert "Nur Hasanah" not in text  # a participant of another visit
        for code in ("jauhi-narkoba", "netralitas", "siskamling", "tertib-tps"):
            (appeal,) = appeals(code)
            assert appeal.title.lower() not in text.lower()
            assert appeal.text[1:40] not in text
        assert "narkoba" not in text.lower()
        assert LIGHTS[:30] not in text  # concerns only in general terms
        assert "Para anggota PPS siap" not in text  # internal notes stay internal

    def test_same_visit_same_draft(self, team, draft):
        again = draft_release(Visit.objects.get(pk=uuid.uuid5(NAMESPACE, "demo")))
        assert again == draft


@pytest.mark.django_db
def test_call_on_residents_only_when_given(team):
    quiet = dict(statement="", topics=[], participants=[])
    given = draft_release(
        visit(team, "join", dialogue=dialogue(appeals=appeals("partisipasi-warga"), **quiet))
    )
    other = draft_release(
        visit(team, "no-join", dialogue=dialogue(appeals=appeals("waspada-hoaks"), **quiet))
    )
    assert "menjaga keamanan" in given.body and "lingkungan" in given.body
    assert "lingkungan" not in other.body
    assert_clean(given)
    assert_clean(other)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "present", "absent"),
    [
        (date(2023, 3, 15), ["persiapan", "Pemilu 2024", "14 Februari 2024"], ["kampanye"]),
        (date(2024, 2, 12), ["masa tenang", "Pemilu 2024", "14 Februari 2024"], ["masa kampanye"]),
        (date(2024, 2, 14), ["hari pemungutan suara", "Pemilu 2024"], ["kampanye"]),
        (date(2024, 3, 1), ["rekapitulasi", "Pemilu 2024", "14 Februari 2024"], ["kampanye"]),
        (date(2024, 10, 1), ["masa kampanye", "Pilkada 2024", "27 November 2024"], ["Pemilu"]),
    ],
)
def test_stage_wording(team, day, present, absent):
    start = at(day.year, day.month, day.day)
    talk = dialogue(topics=[], appeals=[], statement="")
    draft = draft_release(visit(team, f"stage-{day}", start=start, dialogue=talk))
    for words in present:
        assert words in draft.body, (words, draft.body)
    for words in absent:
        assert words not in draft.body, (words, draft.body)
    assert_clean(draft)


@pytest.mark.django_db
def test_village_head_election_is_named_in_words(team):
    Stage.objects.create(
        election="Pilkades 2025",
        name="Masa kampanye Pilkades 2025",
        kind=Stage.Kind.CAMPAIGN,
        starts_on=date(2025, 6, 1),
        ends_on=date(2025, 6, 10),
        voting_day=date(2025, 6, 15),
        region_id="64.09",
    )
    talk = dialogue(topics=[])
    draft = draft_release(visit(team, "pilkades", start=at(2025, 6, 3), dialogue=talk))
    assert "pemilihan kepala desa" in draft.body
    assert "15 Juni 2025" in draft.body
    assert "Pemilu 2024" not in draft.body


@pytest.mark.django_db
def test_a_regional_stage_applies_only_in_its_region(team):
    Stage.objects.create(
        election="Pilkades 2025",
        name="Masa tenang Pilkades 2025",
        kind=Stage.Kind.QUIET,
        starts_on=date(2025, 6, 1),
        ends_on=date(2025, 6, 10),
        voting_day=date(2025, 6, 11),
        region_id="64.09.01",  # Penajam, not Sepaku
    )
    draft = draft_release(visit(team, "pilkades-elsewhere", start=at(2025, 6, 3)))
    assert "kepala desa" not in draft.body
    assert "masa tenang" not in draft.body


@pytest.mark.django_db
def test_no_stage_no_stage_paragraph(team):
    talk = dialogue(topics=[], statement="")
    draft = draft_release(visit(team, "june-2025", start=at(2025, 6, 1), dialogue=talk))
    assert draft.dateline == "Sepaku, 1 Juni 2025 –"
    assert "Minggu" in draft.body
    for words in (
        "Pemilu 2024",
        "Pilkada",
        "pemungutan suara",
        "kampanye",
        "masa tenang",
        "Jelang",
    ):
        assert words not in f"{draft.title} {draft.body}", words
    assert_clean(draft)


@pytest.mark.django_db
@pytest.mark.parametrize("month", range(1, 13))
def test_indonesian_month_names(team, month):
    draft = draft_release(visit(team, f"month-{month}", start=at(2025, month, 10)))
    assert draft.dateline == f"Sepaku, 10 {MONTHS[month - 1]} 2025 –"


@pytest.mark.django_db
def test_dateline_is_the_local_date(team):
    # 22 January 23:30 UTC is 23 January 07.30 WITA.
    start = datetime(2024, 1, 22, 23, 30, tzinfo=ZoneInfo("UTC"))
    draft = draft_release(visit(team, "early", start=start, end=None, dialogue=None))
    assert draft.dateline == "Sepaku, 23 Januari 2024 –"
    assert "07.30 WITA" in draft.body


@pytest.mark.django_db
def test_drafts_vary_between_visits(team):
    extra = [
        Site.objects.create(
            name=name, kind=kind, village_id=village, unit=team.sepaku, lat=-0.9, lng=116.6
        )
        for name, kind, village in [
            ("Kantor PPS Desa Bukit Raya", Site.Kind.PPS_OFFICE, "64.09.04.2002"),
            ("Pasar Sepaku", Site.Kind.MARKET, "64.09.04.1005"),
            ("Kantor Desa Suka Raja", Site.Kind.VILLAGE_OFFICE, "64.09.04.2003"),
        ]
    ]
    sites = [team.pps_bumi, team.tps_bumi, *extra]
    days = [
        at(2024, 1, 5),
        at(2024, 1, 18, 14),
        at(2024, 2, 12, 9),
        at(2023, 9, 4, 8),
        at(2024, 10, 7, 16),
        at(2025, 3, 3, 10),
        at(2024, 2, 1, 19),
        at(2025, 8, 20, 11),
    ]
    drafts = [
        (
            site,
            draft_release(visit(team, f"variety-{i}", site=site, start=start)),
        )
        for i, (site, start) in enumerate(zip(sites * 2, days, strict=False))
    ]
    bodies = {d.body for _, d in drafts}
    assert len(bodies) == 8
    patterns = set()
    for site, draft in drafts:
        pattern = draft.title.replace(site.name, "S").replace("Polsek Sepaku", "U")
        patterns.add(re.sub(r"(Pemilu|Pilkada) 2024", "E", pattern))
    assert len(patterns) >= 3, patterns
    openings = {d.body.split(" – ", 1)[1].split()[0] for _, d in drafts}
    assert len(openings) >= 3, openings
    for _, draft in drafts:
        assert_clean(draft)


@pytest.mark.django_db
def test_routine_patrol_without_dialogue(team):
    draft = draft_release(
        visit(
            team,
            "routine",
            kind=Visit.Kind.ROUTINE,
            start=at(2025, 5, 5, 8),
            end=None,
            officers=[team.officer],
            dialogue=None,
        )
    )
    assert "Patroli Rutin" in draft.title
    assert "patroli rutin" in draft.body
    assert "Aipda Rahmat Hidayat" in draft.body
    assert "pukul 08.00 WITA" in draft.body
    assert "08.00–" not in draft.body
    for words in ('"', "imbau", "orang", "peserta", "Kasiyono", "tanggapan"):
        assert words not in draft.body, words
    assert len(draft.body.split("\n\n")) <= 2
    assert_clean(draft)


@pytest.mark.django_db
def test_commander_absent_still_speaks_for_the_unit(world):
    # The Kapolsek has no position recorded: the title follows from role and unit.
    draft = draft_release(visit(world, "without-kapolsek", officers=[world.officer]))
    paragraphs = draft.body.split("\n\n")
    assert "dipimpin oleh Aipda Rahmat" in paragraphs[0] or paragraphs[0].startswith(
        "Sepaku, 23 Januari 2024 – Aipda Rahmat"
    )
    assert "dipimpin langsung" not in draft.body
    purpose = next(p for p in paragraphs if re.search(PURPOSE, p))
    assert "Kapolsek Sepaku AKP Kasiyono" in purpose
    quote = next(p for p in paragraphs if p.startswith('"'))
    assert "Aipda Rahmat" in quote and "Kasiyono" not in quote
    assert_clean(draft)


@pytest.mark.django_db
def test_unit_without_commander_speaks_itself(world):
    draft = draft_release(
        visit(
            world,
            "penajam",
            site=world.pps_penajam,
            officers=[world.other_officer],
            dialogue=dialogue(participants=[], statement="", topics=[]),
        )
    )
    assert draft.dateline == "Penajam, 23 Januari 2024 –"
    assert "Polsek Penajam" in draft.title
    assert "officer.penajam" not in draft.body  # a login name is not a name
    assert "1 personel" in draft.body
    assert any(
        p.startswith(("Polsek Penajam menyampaikan", "Menurut Polsek Penajam"))
        or "Polsek Penajam menjelaskan" in p
        or "Polsek Penajam menyebutkan" in p
        for p in draft.body.split("\n\n")
    ), draft.body
    assert "Kasiyono" not in draft.body
    assert_clean(draft)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("response", "words"),
    [("positive", "positif|menyambut baik"), ("neutral", "netral"), ("negative", "keberatan")],
)
def test_response_is_told_honestly(team, response, words):
    talk = dialogue(response=response, statement="")
    draft = draft_release(visit(team, f"response-{response}", dialogue=talk))
    assert re.search(words, draft.body)
    others = {"positif|menyambut baik", "netral", "keberatan"} - {words}
    assert not any(re.search(w, draft.body) for w in others)


@pytest.mark.django_db
def test_missing_parts_are_left_out(team):
    talk = DialogueData(participants=[], attendees=0)
    draft = draft_release(
        visit(team, "bare", dialogue=talk, end=None, start=at(2025, 7, 7), officers=[team.kapolsek])
    )
    for words in ("orang", '"', "imbau", "positif", "netral", "keberatan", "ditindaklanjuti"):
        assert words not in draft.body, words
    assert "Kapolsek Sepaku AKP Kasiyono" in draft.body
    assert_clean(draft)


@pytest.mark.django_db
def test_election_guard_at_a_polling_station(team):
    draft = draft_release(
        visit(
            team,
            "guard",
            kind=Visit.Kind.ELECTION_GUARD,
            site=team.tps_bumi,
            start=at(2024, 2, 14, 7),
            dialogue=None,
        )
    )
    assert "Pengamanan Pemilu 2024" in draft.title
    assert "pengamanan Pemilu 2024" in draft.body
    assert "hari pemungutan suara" in draft.body
    assert "Kapolsek Sepaku AKP Kasiyono" in draft.body
    assert_clean(draft)


@pytest.mark.django_db
def test_record_text_cannot_become_markup(team):
    talk = dialogue(participants=[ParticipantData("*Budi* [x](javascript:1)", "Ketua RT")])
    draft = draft_release(visit(team, "markup", dialogue=talk))
    assert r"\*Budi\* \[x\](javascript:1)" in draft.body
