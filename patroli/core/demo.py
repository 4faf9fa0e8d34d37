"""The demo: Polsek Sepaku's dialogic patrol at the PPS office of Desa Bumi Harapan, 23 Jan 2024.

Every step is idempotent: running the seed again updates what is there and creates nothing new.
Names of people other than the Kapolsek are invented for the demo.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patroli.concerns.models import Category, Concern
from patroli.concerns.services import move_concern, rate_concern, submit_concern
from patroli.patrols.models import Appeal, Visit
from patroli.patrols.services import ConcernData, DialogueData, ParticipantData, record_visit
from patroli.regions.importer import DEFAULT_FILE, import_regions
from patroli.regions.models import Region
from patroli.sites.models import Site
from patroli.sites.services import upsert_site
from patroli.units.models import Officer, Unit

WITA = ZoneInfo("Asia/Makassar")
SEPAKU = "64.09.04"
PENAJAM = "64.09.01"
BUMI_HARAPAN = "64.09.04.2004"
DEMO_NAMESPACE = uuid.UUID("5b0c2a4e-61c9-4f0e-9d59-0b7e4c3c7a11")


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    rank: str
    role: str
    unit: str | None
    position: str


USERS = [
    DemoUser("kasiyono", "Kasiyono", "", "AKP", "commander", "polsek-sepaku", "Kapolsek Sepaku"),
    DemoUser(
        "bhabin.bumiharapan",
        "Rahmat",
        "Hidayat",
        "Aipda",
        "officer",
        "polsek-sepaku",
        "Bhabinkamtibmas Desa Bumi Harapan",
    ),
    DemoUser(
        "kapolres.ppu",
        "Bambang",
        "Wicaksono",
        "AKBP",
        "commander",
        "polres-ppu",
        "Kapolres Penajam Paser Utara",
    ),
    DemoUser(
        "humas.ppu", "Dewi", "Lestari", "Ipda", "humas", "polres-ppu", "Kasi Humas Polres PPU"
    ),
    DemoUser(
        "officer.penajam",
        "Yusuf",
        "Pratama",
        "Brigpol",
        "officer",
        "polsek-penajam",
        "Bhabinkamtibmas Polsek Penajam",
    ),
    DemoUser("admin", "Admin", "Patroli", "", "admin", None, "Administrator"),
]


class DemoError(Exception):
    pass


def seed_demo(*, password: str | None = None, regions_file: str | Path = DEFAULT_FILE) -> dict:
    """Load the demo; returns {username: password}."""
    if not Region.objects.filter(code=BUMI_HARAPAN).exists() or Region.objects.count() < 100:
        result = import_regions(regions_file)
        if not result.ok:
            raise DemoError("; ".join(str(e) for e in result.errors[:5]))
    with transaction.atomic():
        units = _units()
        logins = _users(units, password)
        sites = _sites(units)
        _visits(sites)
        _january_week(sites)
        _concerns(sites)
        _release()
        _election_security(units)
        _date_patrol_concerns()
    return logins


def _units() -> dict[str, Unit]:
    spec = [
        ("polda-kaltim", "Polda Kalimantan Timur", Unit.Level.POLDA, None, ["64"]),
        ("polres-ppu", "Polres Penajam Paser Utara", Unit.Level.POLRES, "polda-kaltim", ["64.09"]),
        ("polsek-sepaku", "Polsek Sepaku", Unit.Level.POLSEK, "polres-ppu", [SEPAKU]),
        ("polsek-penajam", "Polsek Penajam", Unit.Level.POLSEK, "polres-ppu", [PENAJAM]),
    ]
    units: dict[str, Unit] = {}
    for code, name, level, parent, regions in spec:
        unit, _ = Unit.objects.update_or_create(
            code=code, defaults={"name": name, "level": level, "parent": units.get(parent)}
        )
        unit.regions.set(Region.objects.filter(code__in=regions))
        units[code] = unit
    return units


def _users(units: dict[str, Unit], password: str | None) -> dict[str, str]:
    logins = {}
    for spec in USERS:
        user, _ = Officer.objects.update_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "rank": spec.rank,
                "role": spec.role,
                "unit": units.get(spec.unit) if spec.unit else None,
                "position": spec.position,
                "is_staff": spec.role == "admin",
                "is_superuser": spec.role == "admin",
                "email": f"{spec.username}@patroli.example",
            },
        )
        secret = password or secrets.token_urlsafe(9)
        user.set_password(secret)
        user.save(update_fields=["password"])
        logins[spec.username] = secret
    return logins


def _near(region: Region, step: int) -> tuple[float | None, float | None]:
    """A deterministic point a few hundred metres from the village centroid."""
    if region.lat is None:
        return None, None
    return round(region.lat + 0.0012 * (step % 5), 6), round(region.lng + 0.0010 * (step % 7), 6)


def _sites(units: dict[str, Unit]) -> dict[str, Site]:
    sites: dict[str, Site] = {}

    def place(village: Region, kind: str, name: str, unit: str, step: int, **extra) -> None:
        lat, lng = _near(village, step)
        sites[name], _ = upsert_site(
            village=village, kind=kind, name=name, unit=units[unit], lat=lat, lng=lng, **extra
        )

    for village in Region.objects.filter(parent_id=SEPAKU).order_by("code"):
        noun = "Kelurahan" if village.kind == Region.Kind.KELURAHAN else "Desa"
        place(
            village, Site.Kind.PPS_OFFICE, f"Kantor PPS {noun} {village.name}", "polsek-sepaku", 0
        )
        place(
            village, Site.Kind.VILLAGE_OFFICE, f"Kantor {noun} {village.name}", "polsek-sepaku", 1
        )
    bumi = Region.objects.get(code=BUMI_HARAPAN)
    # 1,954 voters over six regular TPS, plus two special TPS for the workers of the new capital.
    for number, voters in enumerate([326, 326, 326, 326, 325, 325], start=1):
        name = f"TPS {number:03d} Desa Bumi Harapan"
        place(
            bumi, Site.Kind.TPS, name, "polsek-sepaku", number + 2, tps_number=number, voters=voters
        )
    for number in (901, 902):
        name = f"TPS Khusus {number} Pekerja IKN"
        place(bumi, Site.Kind.TPS, name, "polsek-sepaku", number, tps_number=number)
    sepaku_kel = Region.objects.get(code="64.09.04.1005")
    place(sepaku_kel, Site.Kind.PPK_OFFICE, "Kantor PPK Kecamatan Sepaku", "polsek-sepaku", 3)
    place(sepaku_kel, Site.Kind.MARKET, "Pasar Sepaku", "polsek-sepaku", 4)
    penajam_village = Region.objects.filter(parent_id=PENAJAM).order_by("code").first()
    if penajam_village is None:
        raise DemoError(f"district {PENAJAM} has no villages; import the regions first")
    place(
        penajam_village, Site.Kind.PPK_OFFICE, "Kantor PPK Kecamatan Penajam", "polsek-penajam", 0
    )
    place(
        penajam_village,
        Site.Kind.PPS_OFFICE,
        f"Kantor PPS {penajam_village.name}",
        "polsek-penajam",
        1,
    )
    return sites


def _visit_id(key: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, key)


def _visits(sites: dict[str, Site]) -> None:
    officers = {o.username: o for o in Officer.objects.all()}
    appeals = Appeal.objects.in_bulk(field_name="code")
    categories = Category.objects.in_bulk(field_name="code")
    pps = sites["Kantor PPS Desa Bumi Harapan"]
    record_visit(
        visit_id=_visit_id("bumi-harapan-2024-01-23"),
        recorded_by=officers["kasiyono"],
        officers=[officers["kasiyono"], officers["bhabin.bumiharapan"]],
        site=pps,
        kind=Visit.Kind.DIALOGIC,
        started_at=datetime(2024, 1, 23, 10, 0, tzinfo=WITA),
        ended_at=datetime(2024, 1, 23, 11, 15, tzinfo=WITA),
        lat=pps.lat and pps.lat + 0.0002,
        lon=pps.lng and pps.lng + 0.0001,
        dialogue=DialogueData(
            participants=[
                ParticipantData("Suparno", "Ketua PPS", "PPS Desa Bumi Harapan"),
                ParticipantData("Siti Aminah", "Anggota PPS", "PPS Desa Bumi Harapan"),
                ParticipantData("Agus Setiawan", "Anggota PPS", "PPS Desa Bumi Harapan"),
                ParticipantData("Heru Santoso", "Sekretaris PPS", "Sekretariat PPS"),
            ],
            attendees=9,
            topics=[
                "Persiapan pemungutan suara Pemilu 2024 di Desa Bumi Harapan",
                "Keamanan logistik pemilu selama disimpan di kantor PPS",
                "Dua TPS khusus bagi pekerja pembangunan IKN",
            ],
            appeals=[
                appeals[c]
                for c in (
                    "kamtibmas-pemilu",
                    "partisipasi-warga",
                    "tolak-politik-uang",
                    "waspada-hoaks",
                )
            ],
            response="positive",
            notes=(
                "Kapolsek bersama Bhabinkamtibmas berdialog dengan anggota PPS. Para anggota PPS "
                "menyambut baik kehadiran Polri dan siap bekerja sama menjaga situasi tetap aman "
                "dan kondusif menjelang pemungutan suara."
            ),
            statement=(
                "Kami mengajak penyelenggara dan seluruh warga Desa Bumi Harapan bersama-sama "
                "menjaga keamanan dan ketertiban lingkungan, agar pemungutan suara berjalan aman, "
                "damai, dan lancar."
            ),
        ),
        concerns=[
            ConcernData(
                categories["listrik"],
                "Penerangan di sekitar kantor PPS kurang pada malam hari, padahal logistik "
                "pemilu akan disimpan di sini.",
            ),
            ConcernData(
                categories["hoaks"],
                "Beredar pesan berantai yang keliru tentang lokasi TPS khusus pekerja IKN.",
            ),
        ],
    )
    record_visit(
        visit_id=_visit_id("bukit-raya-2024-01-20"),
        recorded_by=officers["bhabin.bumiharapan"],
        site=sites["Kantor PPS Desa Bukit Raya"],
        kind=Visit.Kind.ROUTINE,
        started_at=datetime(2024, 1, 20, 15, 30, tzinfo=WITA),
        ended_at=datetime(2024, 1, 20, 16, 0, tzinfo=WITA),
        dialogue=DialogueData(
            participants=[ParticipantData("Wahyuni", "Ketua PPS", "PPS Desa Bukit Raya")],
            attendees=3,
            topics=["Jadwal pengamanan gudang logistik desa"],
            appeals=[appeals["amankan-logistik"], appeals["siskamling"]],
            response="neutral",
        ),
    )
    penajam = Site.objects.filter(unit__code="polsek-penajam", kind=Site.Kind.PPS_OFFICE).first()
    record_visit(
        visit_id=_visit_id("penajam-2024-01-22"),
        recorded_by=officers["officer.penajam"],
        site=penajam,
        kind=Visit.Kind.DIALOGIC,
        started_at=datetime(2024, 1, 22, 9, 0, tzinfo=WITA),
        ended_at=datetime(2024, 1, 22, 10, 0, tzinfo=WITA),
        dialogue=DialogueData(
            participants=[ParticipantData("Nur Hasanah", "Ketua PPS", penajam.name)],
            attendees=5,
            appeals=[appeals["tertib-tps"], appeals["gunakan-hak-pilih"]],
            response="positive",
        ),
        concerns=[
            ConcernData(
                categories["politik-uang"],
                "Warga mendengar kabar akan ada pembagian sembako menjelang hari pemungutan suara.",
            )
        ],
    )


# The week before the dialogue in Bumi Harapan, so that the dashboard and the daily report of
# 23 January 2024 have a week to show: (village code, day, hour, kind, response, attendees).
JANUARY_WEEK = [
    ("64.09.04.2001", 17, 9, Visit.Kind.ROUTINE, "positive", 4),
    ("64.09.04.2002", 18, 14, Visit.Kind.DIALOGIC, "neutral", 7),
    ("64.09.04.1005", 19, 10, Visit.Kind.DIALOGIC, "positive", 12),
    ("64.09.04.2003", 21, 16, Visit.Kind.ROUTINE, "negative", 5),
    ("64.09.04.1006", 22, 9, Visit.Kind.DIALOGIC, "positive", 8),
    ("64.09.04.2013", 23, 14, Visit.Kind.ROUTINE, "neutral", 3),
]


def _january_week(sites: dict[str, Site]) -> None:
    officers = {o.username: o for o in Officer.objects.all()}
    appeals = Appeal.objects.in_bulk(field_name="code")
    categories = Category.objects.in_bulk(field_name="code")
    offices = {
        site.village_id: site for site in sites.values() if site.kind == Site.Kind.PPS_OFFICE
    }
    for code, day, hour, kind, response, attendees in JANUARY_WEEK:
        site = offices.get(code)
        if site is None:
            continue
        start = datetime(2024, 1, day, hour, 0, tzinfo=WITA)
        record_visit(
            visit_id=_visit_id(f"{code}-2024-01-{day}"),
            recorded_by=officers["bhabin.bumiharapan"],
            site=site,
            kind=kind,
            started_at=start,
            ended_at=start + timedelta(minutes=45),
            lat=site.lat,
            lon=site.lng,
            dialogue=DialogueData(
                participants=[],
                attendees=attendees,
                topics=["Kesiapan pengamanan tahapan kampanye"],
                appeals=[appeals["kamtibmas-pemilu"], appeals["tolak-politik-uang"]],
                response=response,
            ),
            concerns=[
                ConcernData(
                    categories["politik-uang"],
                    "Warga menanyakan kabar pembagian uang oleh tim sukses menjelang kampanye "
                    "akbar.",
                )
            ]
            if response == "negative"
            else [],
        )


def _date_patrol_concerns() -> None:
    """Concerns heard on a patrol were received when the patrol ended, not when the demo loaded:
    move them (with their events and due dates) back to that moment. Runs once per concern."""
    from patroli.concerns.models import ConcernEvent

    for concern in Concern.objects.filter(visit__isnull=False).select_related("visit"):
        heard = concern.visit.ended_at or concern.visit.started_at
        shift = concern.created_at - heard
        if shift <= timedelta(0):
            continue
        Concern.objects.filter(pk=concern.pk).update(
            created_at=heard, due_at=concern.due_at and concern.due_at - shift
        )
        for event in ConcernEvent.objects.filter(concern=concern):
            ConcernEvent.objects.filter(pk=event.pk).update(created_at=event.created_at - shift)


def _concerns(sites: dict[str, Site]) -> None:
    """Concerns in several states: the two heard at Bumi Harapan and a few residents' reports."""
    officers = {o.username: o for o in Officer.objects.all()}
    kapolsek = officers["kasiyono"]
    categories = Category.objects.in_bulk(field_name="code")
    heard = {
        c.category.code: c
        for c in Concern.objects.filter(visit_id=_visit_id("bumi-harapan-2024-01-23"))
    }
    lights = heard.get("listrik")
    if lights is not None and lights.status == Concern.Status.RECEIVED:
        move_concern(
            concern=lights,
            actor=kapolsek,
            to_status=Concern.Status.VERIFIED,
            note="Dicek di lokasi: lampu jalan di depan kantor PPS padam.",
        )
        move_concern(
            concern=lights,
            actor=kapolsek,
            to_status=Concern.Status.REFERRED,
            agency="PLN ULP Petung",
            note="Diteruskan ke PLN untuk perbaikan lampu.",
        )
    hoax = heard.get("hoaks")
    if hoax is not None and hoax.status == Concern.Status.RECEIVED:
        move_concern(concern=hoax, actor=kapolsek, to_status=Concern.Status.VERIFIED)
        move_concern(
            concern=hoax,
            actor=kapolsek,
            to_status=Concern.Status.RESOLVED,
            note="Bhabinkamtibmas dan PPS menyampaikan lokasi TPS khusus yang benar "
            "melalui grup warga dan pengumuman di masjid.",
        )
        rate_concern(concern=hoax, rating=5, comment="Cepat ditanggapi.")
    bumi = Region.objects.get(code=BUMI_HARAPAN)
    bukit_raya = Region.objects.get(code="64.09.04.2002")
    reports = [
        (
            "web-1",
            "politik-uang",
            bumi,
            "Ada orang membagikan amplop kepada warga RT 05 sambil menyebut nama calon tertentu.",
            dict(
                anonymous=True,
                reporter_name="Warga RT 05",
                reporter_email="warga.rt05@patroli.example",
            ),
            [(Concern.Status.VERIFIED, "Laporan diterima dan sedang didalami bersama Bawaslu.")],
        ),
        (
            "web-2",
            "ketertiban-umum",
            bukit_raya,
            "Balap liar setiap malam Minggu di jalan poros Bukit Raya, mengganggu warga.",
            dict(reporter_phone="081234567890"),
            [
                (Concern.Status.VERIFIED, ""),
                (Concern.Status.IN_PROGRESS, "Patroli malam Minggu ditambah."),
            ],
        ),
        (
            "web-3",
            "intimidasi",
            bumi,
            "Saya diancam karena menolak memasang spanduk calon.",
            dict(confidential=True, reporter_name="(dirahasiakan)", reporter_phone="081298765432"),
            [],
        ),
        (
            "web-4",
            "jalan-rusak",
            bukit_raya,
            "Jalan menuju TPS berlubang besar dan tergenang saat hujan.",
            {},
            [],
        ),
    ]
    for key, category, village, text, reporter, steps in reports:
        concern, created = submit_concern(
            client_id=uuid.uuid5(DEMO_NAMESPACE, f"concern-{key}"),
            source=Concern.Source.WEB,
            category=categories[category],
            description=text,
            village=village,
            **reporter,
        )
        if created:
            for status, note in steps:
                move_concern(concern=concern, actor=kapolsek, to_status=status, note=note)


def _release() -> None:
    """The Bumi Harapan patrol as a published release, drafted by the newsroom itself."""
    from patroli.newsroom.drafting import draft_release
    from patroli.newsroom.models import Comment, Release
    from patroli.newsroom.services import (
        create_release,
        moderate_comment,
        post_comment,
        publish_release,
    )

    visit = Visit.objects.with_details().get(pk=_visit_id("bumi-harapan-2024-01-23"))
    if Release.objects.filter(visit=visit).exists():
        return
    officers = {o.username: o for o in Officer.objects.all()}
    draft = draft_release(visit)
    release = create_release(
        author=officers["humas.ppu"],
        unit=visit.unit,
        visit=visit,
        title=draft.title,
        dateline=draft.dateline,
        body=draft.body,
    )
    approver = "humas.ppu" if settings.PATROLI_RELEASE_APPROVER == "humas" else "kapolres.ppu"
    release = publish_release(
        release=release,
        actor=officers[approver],
        at=datetime(2024, 1, 23, 15, 0, tzinfo=WITA),
    )
    first = post_comment(
        release=release,
        name="Wahyu",
        email="wahyu@warga.example",
        body="Terima kasih Pak Kapolsek dan jajaran, semoga pemilu di desa kami aman dan damai.",
    )
    moderate_comment(comment=first, actor=officers["humas.ppu"], status=Comment.Status.APPROVED)
    reply = post_comment(
        release=release,
        name="Ketua RT 05",
        email="rt05.bumiharapan@warga.example",
        body="Setuju. Kami siap mengaktifkan ronda malam menjelang hari pemungutan suara.",
        parent=first,
    )
    moderate_comment(comment=reply, actor=officers["humas.ppu"], status=Comment.Status.APPROVED)


def _election_security(units: dict[str, Unit]) -> None:
    """An IKP-style baseline for Kalimantan Timur, one incident in Bumi Harapan, fresh scores."""
    from patroli.elections import risk
    from patroli.elections.models import Incident, RiskBaseline
    from patroli.elections.services import record_incident

    # Bawaslu's IKP 2024 rated Kalimantan Timur about 77 overall; the demo uses that figure for
    # each of the four dimensions (the per-dimension values are not in our sources).
    RiskBaseline.objects.update_or_create(
        region_id="64",
        defaults={
            "social_political": 77,
            "administration": 77,
            "contestation": 77,
            "participation": 77,
            "source": "IKP 2024 (Bawaslu), nilai provinsi; contoh demo",
        },
    )
    tps = Site.objects.get(name="TPS 003 Desa Bumi Harapan")
    record_incident(
        incident_id=uuid.uuid5(DEMO_NAMESPACE, "incident-money-politics-rt05"),
        recorded_by=Officer.objects.get(username="bhabin.bumiharapan"),
        kind=Incident.Kind.MONEY_POLITICS,
        severity=Incident.Severity.YELLOW,
        occurred_at=timezone.now() - timedelta(days=2),
        village=tps.village,
        site=tps,
        description="Warga melaporkan pembagian amplop di sekitar TPS 003 oleh orang tak dikenal.",
    )
    record_incident(
        incident_id=uuid.uuid5(DEMO_NAMESPACE, "incident-hoax-2024-01-21"),
        recorded_by=Officer.objects.get(username="bhabin.bumiharapan"),
        kind=Incident.Kind.HOAX,
        severity=Incident.Severity.GREEN,
        occurred_at=datetime(2024, 1, 21, 19, 30, tzinfo=WITA),
        village=tps.village,
        description="Pesan berantai keliru tentang pemindahan lokasi TPS khusus pekerja IKN.",
    )
    for code in ("polsek-sepaku", "polsek-penajam"):
        risk.compute_all(unit=units[code])
