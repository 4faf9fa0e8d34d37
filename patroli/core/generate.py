"""A synthetic country for load tests: ``patroli generate-national`` (docs/admin-guide.md).

Real regions from the shipped file; a Polda per province, a Polres per regency, a Polsek per
district with a few officers; a PPS office per village and polling stations spread over the
villages; visits with their dialogues, concerns with their history, incidents.

Two promises, and how they are kept:

- **The same options and seed give the same rows, ids included, whatever the batch size.** Each
  table draws from its own random stream (``random.Random("<seed>:<table>")``) in a fixed order;
  ids are given, never left to the database: integers counted from 1 (the database must not
  hold any of these rows yet), UUIDs drawn from the stream. Batches only cut the stream.
- **Memory stays flat whatever the size.** Only the villages (about 84,000 small objects) and
  one batch are held. Sites get consecutive ids village by village, so a visit picks a site by
  drawing a number and finds its village by bisection; a site's point is a hash of its id; the
  officers of a Polsek are a known id range; times within a day are drawn already sorted.

Rows are written in batches, one transaction each: ``COPY`` on PostgreSQL, ``executemany`` on
SQLite (with ``synchronous=OFF`` for this connection while it runs: the database is disposable).
"""

from __future__ import annotations

import bisect
import contextlib
import gzip
import json
import math
import random
import re
import resource
import string
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from patroli.concerns.models import TRACKING_ALPHABET, TRACKING_LENGTH, Category, Concern
from patroli.concerns.models import ConcernEvent as Event
from patroli.core.geo import distance_m
from patroli.core.ids import uuid7
from patroli.core.search import stems_column
from patroli.core.workdays import add_working_days
from patroli.elections.models import Incident
from patroli.patrols.models import Appeal, Dialogue, Participant, Visit
from patroli.regions.importer import DEFAULT_FILE, import_regions
from patroli.regions.models import Region
from patroli.sites.models import Site, refresh_latest_visits
from patroli.units.models import Officer, Unit

# The country of the 2024 general election: 83,762 villages, 820,161 polling stations.
NATIONAL_VILLAGES = 83_762
NATIONAL = {"tps": 820_161, "visits": 10_000_000, "concerns": 2_000_000, "incidents": 200_000}
END_DATE = date(2024, 1, 23)  # the demo's day: the last day of the generated period
DAYS = 120
BATCH = 10_000
PATROL_SHARE = 0.4  # of the concerns, raised during a visit; residents report the rest
PPS_SHARE = 0.35  # of the visits, to a PPS office; the others to any site (mostly a TPS)

# Hours ahead of UTC by province code: WIB (+7) unless listed. Indonesia has no daylight saving.
WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}
PREFIX_FORMAT = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"
# The tables written in the big stages: their plain indexes are built after the load.
STREAMED = [
    Visit,
    Visit.officers.through,
    Dialogue,
    Dialogue.appeals.through,
    Participant,
    Concern,
    Event,
    Incident,
]


class GenerateError(Exception):
    """The generator cannot run on this database or with these options."""


@dataclass(frozen=True)
class Sizes:
    tps: int
    visits: int
    concerns: int
    incidents: int


@dataclass(frozen=True)
class Options:
    """What to generate. A size left at None is the national figure scaled to the villages
    selected (``regions_prefix``), so that a province gets its share of the country."""

    regions_prefix: str = ""
    regions_file: str | Path = DEFAULT_FILE
    tps: int | None = None
    visits: int | None = None
    concerns: int | None = None
    incidents: int | None = None
    days: int = DAYS
    end_date: date = END_DATE
    officers_per_polsek: int = 3
    seed: int = 1
    batch_size: int = BATCH
    analyze: bool = True


@dataclass
class TableStats:
    rows: int = 0
    seconds: float = 0.0  # spent writing (COPY or executemany), generation excluded


@dataclass
class Summary:
    sizes: Sizes
    tables: dict[str, TableStats] = field(default_factory=dict)  # by database table
    seconds: float = 0.0
    peak_rss_mb: float = 0.0


def default_sizes(villages: int) -> Sizes:
    share = villages / NATIONAL_VILLAGES
    return Sizes(**{name: round(value * share) for name, value in NATIONAL.items()})


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far (Linux gives KB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


# -- progress ----------------------------------------------------------------------------------


class Progress:
    """A one-line bar with rate and ETA (``bar``: a terminal), and one line per stage (``line``).

    Either may be None. The bar is redrawn with a carriage return at most every ``interval``.
    Without a bar (a log file, a CI job), a long stage also writes a line with its progress, rate
    and ETA every ``every`` seconds (None: never), so that an hour-long run is not silent.
    """

    def __init__(
        self,
        *,
        bar: Callable[[str], None] | None = None,
        line: Callable[[str], None] | None = None,
        interval: float = 0.2,
        every: float | None = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.bar, self.line, self.interval, self.clock = bar, line, interval, clock
        self.every = every if line and not bar else None
        self.name, self.total, self.done, self.began, self.drawn, self.width = "", 0, 0, 0.0, 0.0, 0

    def start(self, name: str, total: int) -> None:
        self.name, self.total, self.done = name, total, 0
        self.began = self.drawn = self.clock()
        self._draw()

    def advance(self, count: int) -> None:
        self.done += count
        if self.bar and self.clock() - self.drawn >= self.interval:
            self._draw()
        elif self.every is not None and (now := self.clock()) - self.drawn >= self.every:
            self.drawn = now
            self.line(self._status(now))

    def finish(self, detail: str = "") -> float:
        seconds = self.clock() - self.began
        if self.bar:
            self._draw()
            self.bar("\n")
        if self.line:
            rate = f" ({self.done / seconds:,.0f}/s)" if seconds > 0 and self.done else ""
            extra = f"; {detail}" if detail else ""
            self.line(f"{self.name}: {self.done:,} in {seconds:.1f} s{rate}{extra}")
        return seconds

    def note(self, text: str) -> None:
        if self.line:
            self.line(text)

    def _status(self, now: float) -> str:
        elapsed = now - self.began
        part = self.done / self.total if self.total else 1.0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else None
        filled = int(part * 24)
        return (
            f"{self.name:<10} [{'#' * filled}{'.' * (24 - filled)}] {part:6.1%} "
            f"{self.done:,}/{self.total:,}  {rate:,.0f}/s  ETA {_clock(eta)}"
        )

    def _draw(self) -> None:
        if not self.bar:
            return
        self.drawn = self.clock()
        text = self._status(self.drawn)
        self.bar("\r" + text.ljust(self.width))
        self.width = len(text)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# -- writing -----------------------------------------------------------------------------------


class Table:
    """How the rows of one model are written: the columns given, in order, then a constant for
    every other column (its default, NULL or the empty string), adapted to the database."""

    def __init__(self, model: type[models.Model], columns: tuple[str, ...], vendor: str):
        meta = model._meta
        self.model, self.name = model, meta.db_table
        fields = {f.attname: f for f in meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise GenerateError(f"{self.name} has no column {', '.join(sorted(unknown))}")
        if getattr(model, "search_columns", None) and "search_stems" not in columns:
            # Blank stems would make the rows unsearchable on SQLite: fail loudly instead.
            raise GenerateError(f"{self.name} is searchable: the generator must fill its stems")
        rest = [
            f
            for f in meta.concrete_fields
            if f.attname not in columns
            and not getattr(f, "generated", False)
            and f.db_default is models.NOT_PROVIDED
        ]
        self.extra = tuple(_constant(f, vendor) for f in rest)
        ordered = [fields[c] for c in columns] + rest
        quote = connection.ops.quote_name
        self.quoted = quote(self.name)
        self.columns = ", ".join(quote(f.column) for f in ordered)
        # Names from the models, never from input: nothing to inject.
        marks = ", ".join(["%s"] * len(ordered))
        self.insert = f"INSERT INTO {self.quoted} ({self.columns}) VALUES ({marks})"  # noqa: S608
        self.adapters = [
            (i, adapter)
            for i, f in enumerate(ordered[: len(columns)])
            if (adapter := _adapter(f, vendor)) is not None
        ]

    def adapt(self, rows: list[tuple]) -> Iterable[tuple]:
        extra, adapters = self.extra, self.adapters
        if not adapters:
            return (row + extra for row in rows) if extra else rows
        return (_adapted(row, adapters) + extra for row in rows)


def _adapted(row: tuple, adapters) -> tuple:
    values = list(row)
    for i, adapter in adapters:
        value = values[i]
        if value is not None:
            values[i] = adapter(value)
    return tuple(values)


def _kind(f: models.Field) -> str:
    return (f.target_field if f.is_relation else f).get_internal_type()


def _adapter(f: models.Field, vendor: str):
    kind = _kind(f)
    if kind == "JSONField":
        return json.dumps  # as Django stores it
    if vendor == "postgresql":
        return None  # psycopg writes UUIDs, aware datetimes and booleans itself
    if kind == "UUIDField":
        return lambda value: value.hex  # char(32), as Django stores it on SQLite
    if kind == "DateTimeField":
        if connection.timezone_name == "UTC":
            # The generated times are aware and in UTC: Django's form without the conversion.
            return lambda value: str(value.replace(tzinfo=None))
        return connection.ops.adapt_datetimefield_value
    return None


def _constant(f: models.Field, vendor: str):
    if f.has_default() and not (f.unique and not f.null):
        value = f.get_default()
    elif f.null:
        value = None
    elif f.blank and isinstance(f, models.CharField | models.TextField):
        value = ""
    else:
        raise GenerateError(f"{f.model._meta.db_table}.{f.column}: the generator has no value")
    adapter = _adapter(f, vendor)
    return adapter(value) if adapter and value is not None else value


class Writer:
    """Writes a batch of several tables in one transaction, the fastest way the database has."""

    def __init__(self, summary: Summary):
        self.vendor = connection.vendor
        self.summary = summary

    def table(self, model: type[models.Model], columns: str) -> Table:
        """The table of ``model``; ``columns``: the attnames each row gives, space-separated."""
        table = Table(model, tuple(columns.split()), self.vendor)
        self.summary.tables.setdefault(table.name, TableStats())
        return table

    def write(self, batch: list[tuple[Table, list[tuple]]]) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            for table, rows in batch:
                if not rows:
                    continue
                began = time.perf_counter()
                if self.vendor == "postgresql":
                    sql = f"COPY {table.quoted} ({table.columns}) FROM STDIN"
                    with cursor.copy(sql) as copy:
                        for row in table.adapt(rows):
                            copy.write_row(row)
                else:
                    cursor.executemany(table.insert, list(table.adapt(rows)))
                stats = self.summary.tables[table.name]
                stats.rows += len(rows)
                stats.seconds += time.perf_counter() - began


# -- the country in memory: regions, units, villages --------------------------------------------


@dataclass(slots=True)
class Village:
    code: str
    label: str  # "Desa Bumi Harapan", "Kelurahan Petung"
    lat: float | None
    lng: float | None
    offset: int  # hours ahead of UTC
    unit_id: int = 0  # its Polsek
    officer0: int = 0  # the Kapolsek; his field officers follow: officer0 + 1 ... + n - 1
    first_site: int = 0  # the PPS office; the village's TPS follow
    tps: int = 0


def _mix(*values: int) -> int:
    """A 64-bit hash of integers (SplitMix64 steps): cheap, stable across processes."""
    z = 0x9E3779B97F4A7C15
    for value in values:
        z = (z ^ value) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        z ^= z >> 31
    return z


def _allocate(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to integer weights, exactly, by cumulative rounding."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    counts, cumulative, given = [], 0, 0
    for weight in weights:
        cumulative += weight
        upto = total * cumulative // whole
        counts.append(upto - given)
        given = upto
    return counts


def _prefix_filter(prefix: str) -> Q:
    if not prefix:
        return Q()
    parts = prefix.split(".")
    ancestors = [".".join(parts[:i]) for i in range(1, len(parts))]
    return Q(code__in=ancestors) | Q(code=prefix) | Q(code__startswith=prefix + ".")


def _wanted_line(prefix: str) -> Callable[[str], bool]:
    if not prefix:
        return lambda line: True
    parts = prefix.split(".")
    ancestors = tuple(".".join(parts[:i]) + "," for i in range(1, len(parts)))
    starts = (*ancestors, prefix + ",", prefix + ".")
    return lambda line: line.startswith(starts)


def ensure_regions(prefix: str, regions_file: str | Path) -> int:
    """Import the regions of the selection from the file when some are missing; the count
    imported (0 when all were there)."""
    wanted = _wanted_line(prefix)
    opener = gzip.open if str(regions_file).endswith(".gz") else open
    with opener(regions_file, "rt", encoding="utf-8-sig") as src:
        header = next(src)
        in_file = sum(1 for line in src if wanted(line))
    if Region.objects.filter(_prefix_filter(prefix)).count() >= in_file:
        return 0
    if not prefix:
        result = import_regions(regions_file)
    else:
        with tempfile.TemporaryDirectory(prefix="patroli-regions-") as tmp:
            path = Path(tmp) / "regions.csv"
            with opener(regions_file, "rt", encoding="utf-8-sig") as src, path.open("w") as out:
                out.write(header)
                out.writelines(line for line in src if wanted(line))
            result = import_regions(path)
    if not result.ok:
        raise GenerateError("region import failed: " + "; ".join(map(str, result.errors[:3])))
    return result.created


def check_empty() -> None:
    """Refuse a database that holds any of the rows the generator makes: it numbers its rows
    from 1 and never mixes with real data."""
    held = [
        model._meta.verbose_name_plural
        for model, qs in [
            (Unit, Unit.objects.all()),
            (Officer, Officer.objects.filter(unit__isnull=False)),
            (Site, Site.objects.all()),
            (Visit, Visit.objects.all()),
            (Concern, Concern.objects.all()),
            (Incident, Incident.objects.all()),
        ]
        if qs.exists()
    ]
    if held:
        with translation.override("en"):
            names = ", ".join(str(name) for name in held)
        raise GenerateError(
            f"the database already holds {names}: the generator fills an empty database only "
            "(regions, the libraries and users without a unit may be there). Use a fresh one."
        )


# -- names and texts ---------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Agus Andi Bambang Budi Dedi Eko Fajar Hendra Irfan Joko Made Ketut Rahmat Slamet Wahyu "
    "Yohanes Yusuf Ani Dewi Fitri Lestari Nur Rina Siti Sri Wulan Yuliana Hasanah"
)
LAST_NAMES = _words(
    "Hidayat Santoso Pratama Setiawan Wibowo Saputra Siregar Nasution Lubis Simanjuntak Wijaya "
    "Kurniawan Susanto Rahayu Hasibuan Tanjung Sinaga Manurung Pakpahan Latuconsina Wenda "
    "Mandagi Sembiring Harahap Mahendra Ramadhan"
)
FIELD_RANKS = ("Bripka", "Aipda", "Brigpol", "Aiptu", "Briptu")
TOPICS = (
    "Persiapan pemungutan suara",
    "Keamanan logistik pemilu",
    "Pencegahan politik uang",
    "Hoaks di media sosial",
    "Siskamling dan ronda malam",
    "Kenakalan remaja",
    "Pencurian kendaraan bermotor",
    "Ketertiban kampanye",
    "Netralitas aparatur desa",
    "Daftar pemilih tetap",
    "Penerangan jalan",
    "Kerukunan antarwarga",
)
NOTES = {
    "positive": (
        "Warga menyambut baik kehadiran petugas dan siap menjaga keamanan lingkungan.",
        "Para penyelenggara berterima kasih atas kehadiran Polri dan siap bekerja sama.",
        "Situasi aman dan kondusif; warga mendukung pemilu yang damai.",
    ),
    "neutral": (
        "Warga mendengarkan himbauan petugas; belum ada masukan khusus.",
        "Dialog berjalan singkat karena warga sedang beraktivitas.",
    ),
    "negative": (
        "Warga mengeluhkan lambatnya penanganan laporan sebelumnya.",
        "Sebagian warga menyampaikan ketidakpuasan terhadap situasi keamanan.",
    ),
}
CONCERN_TEXTS = {
    "politik-uang": (
        "Warga mendengar kabar akan ada pembagian sembako menjelang pemungutan suara di {place}.",
        "Ada orang yang membagikan uang sambil meminta warga memilih calon tertentu di {place}.",
    ),
    "intimidasi": (
        "Sejumlah warga {place} merasa ditekan orang tak dikenal untuk memilih calon tertentu.",
        "Anggota KPPS di {place} menerima ancaman melalui pesan singkat.",
    ),
    "hoaks": (
        "Beredar pesan berantai yang keliru tentang jadwal dan lokasi TPS di {place}.",
        "Ada unggahan di media sosial yang memprovokasi warga {place} menjelang pemilu.",
    ),
    "logistik-pemilu": (
        "Kotak suara yang disimpan di {place} belum dijaga pada malam hari.",
        "Atap gudang logistik pemilu di {place} bocor saat hujan.",
    ),
    "netralitas": (
        "Perangkat desa di {place} terlihat ikut memasang alat peraga kampanye.",
        "Ada aparatur yang mengajak warga {place} mendukung calon tertentu.",
    ),
    "ketertiban-umum": (
        "Sekelompok pemuda sering berkumpul dan membuat keributan malam hari di {place}.",
        "Konvoi kendaraan pendukung kampanye mengganggu ketertiban di {place}.",
    ),
    "kriminalitas": (
        "Terjadi pencurian sepeda motor di sekitar {place} pekan ini.",
        "Warga {place} melaporkan rumah kosong yang dibobol pencuri.",
    ),
    "lalu-lintas": (
        "Parkir liar di depan {place} menyebabkan kemacetan pada pagi hari.",
        "Pengendara sering memacu kendaraan dengan kencang di jalan depan {place}.",
    ),
    "konflik-sosial": (
        "Ada ketegangan antara dua kelompok pendukung calon di {place}.",
        "Sengketa batas lahan antarwarga di {place} mulai memanas.",
    ),
    "narkoba": ("Warga mencurigai adanya peredaran narkoba di sekitar {place}.",),
    "jalan-rusak": ("Jalan menuju {place} rusak berat dan sulit dilalui saat hujan.",),
    "listrik": ("Penerangan jalan di sekitar {place} padam sejak beberapa hari.",),
}
CONCERN_TEXT = ("Warga {place} meminta patroli malam lebih sering dilakukan.",)
INCIDENT_TEXTS = {
    "money_politics": "Dugaan pembagian uang kepada warga di {place}.",
    "intimidation": "Warga {place} mengaku diancam agar memilih calon tertentu.",
    "hoax": "Penyebaran berita bohong tentang penyelenggara pemilu di {place}.",
    "logistics_damage": "Kotak suara rusak saat dipindahkan di {place}.",
    "clash": "Adu mulut antarpendukung calon di {place}, dilerai petugas.",
    "tps_disruption": "Keributan kecil di {place} saat persiapan TPS.",
    "neutrality": "Aparatur desa di {place} diduga ikut berkampanye.",
    "theft": "Pencurian sepeda motor di {place}.",
    "fight": "Perkelahian antarpemuda di {place}.",
    "traffic_accident": "Kecelakaan lalu lintas di jalan dekat {place}.",
    "disaster": "Banjir merendam permukiman warga di {place}.",
}
INCIDENT_TEXT = "Gangguan kamtibmas di {place}."
STATUS_NOTES = {
    "rejected": "Bukan gangguan kamtibmas; pelapor diarahkan ke instansi terkait.",
    "duplicate": "Sama dengan laporan sebelumnya.",
    "resolved": "Sudah ditindaklanjuti oleh Bhabinkamtibmas.",
}

# The lives of concerns: the statuses after "received", cut short by the end of the period
# (a concern of yesterday is still open). Weight, statuses.
LIVES = (
    (30, ("verified", "in_progress", "resolved", "closed")),
    (12, ("verified", "resolved")),
    (10, ("verified", "referred")),
    (7, ("rejected",)),
    (3, ("duplicate",)),
    (4, ("verified", "in_progress", "resolved", "reopened")),
    (14, ("verified", "in_progress")),
    (10, ("verified",)),
    (10, ()),
)
STEP_HOURS = {  # the time each step takes, uniform between the two (hours)
    "verified": (0.5, 48),
    "in_progress": (1, 72),
    "resolved": (4, 240),
    "closed": (24, 168),
    "referred": (2, 72),
    "rejected": (1, 48),
    "duplicate": (0.5, 24),
    "reopened": (24, 240),
}
TRACKING_SPACE = len(TRACKING_ALPHABET) ** TRACKING_LENGTH
TRACKING_STEP = 48_398_850_592  # about 0.618 of the space, prime to 23: a bijection


def tracking_code(index: int, seed: int) -> str:
    """The code of the index-th concern: distinct for distinct indexes, random-looking."""
    n, chars = (index * TRACKING_STEP + _mix(seed, 23)) % TRACKING_SPACE, []
    for _ in range(TRACKING_LENGTH):
        n, digit = divmod(n, len(TRACKING_ALPHABET))
        chars.append(TRACKING_ALPHABET[digit])
    return "".join(chars)


def officer_identity(seed: int, officer_id: int) -> tuple[str, str, str]:
    """(first name, last name, field rank) of an officer: a function of the id, so that a
    later stage can name an officer without looking it up."""
    h = _mix(seed, officer_id, 7)
    return (
        FIRST_NAMES[h % len(FIRST_NAMES)],
        LAST_NAMES[(h >> 16) % len(LAST_NAMES)],
        FIELD_RANKS[(h >> 32) % len(FIELD_RANKS)],
    )


# -- the generator -----------------------------------------------------------------------------


def _utc(day: date, offset_hours: int) -> datetime:
    """Local midnight of ``day`` in a zone ``offset_hours`` ahead of UTC, as an aware UTC time."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=offset_hours)


class Generator:
    def __init__(self, options: Options, progress: Progress, summary: Summary):
        self.o, self.progress, self.summary = options, progress, summary
        self.writer = Writer(summary)
        self.first_day = options.end_date - timedelta(days=options.days - 1)
        # The "now" of the data: the end of the last day everywhere (midnight WIB, the latest).
        self.end = _utc(options.end_date + timedelta(days=1), 7)
        self.created = _utc(self.first_day - timedelta(days=30), 8)  # units, sites, officers
        self.villages: list[Village] = []
        self.site_starts: list[int] = []  # first site id of each village, for bisection
        self.sites = 0
        self.tz = timezone.get_current_timezone()
        self.deadlines: dict[tuple[date, int], date] = {}
        self.last_concern: dict[str, int] = {}  # per village, for duplicates
        self.ids = {"concern": 1, "event": 1, "participant": 1, "visit_officer": 1, "appeal": 1}
        with translation.override(settings.LANGUAGE_CODE):
            self.assigned_note = gettext("Assigned to %s")
            self.rated_note = gettext("Rated %(rating)s of 5.")

    def rng(self, table: str) -> random.Random:
        return random.Random(f"{self.o.seed}:{table}")

    def day_weights(self) -> list[int]:
        """More on weekdays than at the weekend, and more as the election nears."""
        span = max(1, self.o.days - 1)
        weights = []
        for d in range(self.o.days):
            weekday = (self.first_day + timedelta(days=d)).weekday()
            weights.append((10, 10, 10, 10, 10, 8, 6)[weekday] * (100 + 50 * d // span))
        return weights

    def batches(self, rows: Iterable, size: int | None = None) -> Iterable[list]:
        size = size or self.o.batch_size
        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    # -- units, officers, villages, sites -------------------------------------------------------

    def units(self) -> dict[str, tuple[int, int]]:
        """Write units and officers; {district code: (Polsek id, its Kapolsek's id)}."""
        o = self.o
        areas = list(
            Region.objects.filter(_prefix_filter(o.regions_prefix), level__lt=4)
            .order_by("code")
            .values_list("code", "parent_id", "level", "kind", "name")
        )
        unit_table = self.writer.table(Unit, "id code name level parent_id path email")
        through = Unit.regions.through
        regions_table = self.writer.table(through, "id unit_id region_id")
        officer_table = self.writer.table(
            Officer,
            (
                "id password last_login is_superuser username first_name last_name email "
                "is_staff is_active date_joined rank nrp unit_id role position"
            ),
        )
        rng = self.rng("officers")
        alphabet = string.ascii_letters + string.digits
        next_officer = (Officer.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        units, unit_regions, officers = [], [], []
        unit_ids: dict[str, int] = {}
        paths: dict[str, str] = {}
        polsek: dict[str, tuple[int, int]] = {}
        self.progress.start("units", len(areas))
        for unit_id, (code, parent, level, kind, name) in enumerate(areas, start=1):
            slug = code.replace(".", "-")
            if level == Region.Level.PROVINCE:
                unit = ("polda", f"Polda {name}", "Kapolda", "Brigjen Pol")
                staff = [("commander", "kapolda"), ("humas", "humas")]
            elif level == Region.Level.REGENCY:
                short = name.removeprefix("Kabupaten ").removeprefix("Kota ")
                title = f"Polresta {short}" if kind == Region.Kind.KOTA else f"Polres {short}"
                head = "Kapolresta" if kind == Region.Kind.KOTA else "Kapolres"
                unit = ("polres", title, head, "AKBP")
                staff = [("commander", "kapolres"), ("humas", "humas")]
            else:
                unit = ("polsek", f"Polsek {name}", "Kapolsek", "AKP")
                staff = [("commander", "kapolsek")] + [("officer", "bhabin")] * (
                    o.officers_per_polsek - 1
                )
            level_name, title, head, head_rank = unit
            unit_code = f"{level_name}-{slug}"
            path = paths.get(parent, "") + unit_code + "/"
            paths[code] = path
            units.append((unit_id, unit_code, title, level_name, unit_ids.get(parent), path, ""))
            unit_regions.append((unit_id, unit_id, code))
            if level == Region.Level.DISTRICT:
                polsek[code] = (unit_id, next_officer)
            for n, (role, handle) in enumerate(staff):
                first, last, rank = officer_identity(o.seed, next_officer)
                if role == "commander":
                    rank, position = head_rank, f"{head} {title.split(' ', 1)[1]}"
                elif role == "humas":
                    rank = "Kompol" if level_name == "polda" else "Ipda"
                    position = f"{'Kabid' if level_name == 'polda' else 'Kasi'} Humas {title}"
                else:
                    position = f"Bhabinkamtibmas {title}"
                password = UNUSABLE_PASSWORD_PREFIX + "".join(
                    rng.choice(alphabet) for _ in range(UNUSABLE_PASSWORD_SUFFIX_LENGTH)
                )
                officers.append(
                    (
                        next_officer,
                        password,
                        None,
                        False,
                        f"{handle}.{slug}" + (f".{n}" if role == "officer" else ""),
                        first,
                        last,
                        "",
                        False,
                        True,
                        self.created,
                        rank,
                        f"{_mix(o.seed, next_officer, 11) % 90_000_000 + 10_000_000}",
                        unit_id,
                        role,
                        position,
                    )
                )
                next_officer += 1
            unit_ids[code] = unit_id
        size = self.o.batch_size
        for start in range(0, len(units), size):
            chunk = units[start : start + size]
            self.writer.write(
                [(unit_table, chunk), (regions_table, unit_regions[start : start + size])]
            )
            self.progress.advance(len(chunk))
        for chunk in self.batches(officers):
            self.writer.write([(officer_table, chunk)])
        self.progress.finish(f"{len(officers):,} officers")
        return polsek

    def load_villages(self, polsek: dict[str, tuple[int, int]]) -> None:
        """The villages of the selection with their Polsek, and the TPS each one gets."""
        rows = (
            Region.objects.filter(_prefix_filter(self.o.regions_prefix), level=4)
            .order_by("code")
            .values_list("code", "parent_id", "kind", "name", "lat", "lng")
        )
        for code, district, kind, name, lat, lng in rows.iterator(chunk_size=5000):
            noun = {"kelurahan": "Kelurahan", "desa_adat": "Desa Adat"}.get(kind, "Desa")
            offset = 9 if code[:2] in WIT else 8 if code[:2] in WITA else 7
            unit_id, officer0 = polsek[district]
            village = Village(code, f"{noun} {name}", lat, lng, offset, unit_id, officer0)
            self.villages.append(village)

    def resolve_sizes(self) -> Sizes:
        o, base = self.o, default_sizes(len(self.villages))
        return Sizes(
            tps=base.tps if o.tps is None else o.tps,
            visits=base.visits if o.visits is None else o.visits,
            concerns=base.concerns if o.concerns is None else o.concerns,
            incidents=base.incidents if o.incidents is None else o.incidents,
        )

    def spread_tps(self, tps: int) -> None:
        """One TPS per village first when there are enough, the rest by weight; ids follow."""
        villages = self.villages
        # Towns hold more voters: a kelurahan weighs about three times a desa.
        weights = [
            (150 if v.label.startswith("Kelurahan") else 50) + _mix(self.o.seed, i) % 50
            for i, v in enumerate(villages)
        ]
        base = 1 if tps >= len(villages) else 0
        counts = _allocate(tps - base * len(villages), weights)
        next_id = 1
        for village, count in zip(villages, counts, strict=True):
            village.first_site, village.tps = next_id, base + count
            self.site_starts.append(next_id)
            next_id += 1 + village.tps
        self.sites = next_id - 1

    def site_point(self, village: Village, site_id: int) -> tuple[float | None, float | None]:
        """A site within about a kilometre of its village's centroid (the PPS office closer)."""
        if village.lat is None:
            return None, None
        h = _mix(self.o.seed, site_id, 3)
        spread = 0.003 if site_id == village.first_site else 0.01
        dlat = ((h & 0xFFFFFFFF) / 2**32 - 0.5) * 2 * spread
        dlng = ((h >> 32) / 2**32 - 0.5) * 2 * spread
        return round(village.lat + dlat, 6), round(village.lng + dlng, 6)

    def site_name(self, village: Village, site_id: int) -> str:
        number = site_id - village.first_site
        return f"TPS {number:03d} {village.label}" if number else f"Kantor PPS {village.label}"

    def write_sites(self) -> None:
        table = self.writer.table(
            Site,
            (
                "id name kind village_id unit_id lat lng address tps_number voters "
                "created_at updated_at"
            ),
        )
        rng = self.rng("sites")
        created = self.created

        def rows():
            for v in self.villages:
                for n in range(v.tps + 1):
                    site_id = v.first_site + n
                    lat, lng = self.site_point(v, site_id)
                    yield (
                        site_id,
                        self.site_name(v, site_id),
                        Site.Kind.TPS if n else Site.Kind.PPS_OFFICE,
                        v.code,
                        v.unit_id,
                        lat,
                        lng,
                        "",
                        n or None,
                        rng.randint(150, 300) if n else None,
                        created,
                        created,
                    )

        self.progress.start("sites", self.sites)
        for chunk in self.batches(rows()):
            self.writer.write([(table, chunk)])
            self.progress.advance(len(chunk))
        self.progress.finish()

    def pick_site(self, rng: random.Random) -> tuple[Village, int]:
        if rng.random() < PPS_SHARE:
            village = self.villages[rng.randrange(len(self.villages))]
            return village, village.first_site
        site_id = rng.randrange(self.sites) + 1
        return self.villages[bisect.bisect_right(self.site_starts, site_id) - 1], site_id

    def officer(self, rng: random.Random, village: Village) -> int:
        """A field officer of the village's Polsek, now and then the Kapolsek himself."""
        per = self.o.officers_per_polsek
        if per == 1 or rng.random() < 0.15:
            return village.officer0
        return village.officer0 + 1 + rng.randrange(per - 1)

    def moments(self, rng: random.Random, total: int, start_hour: float, end_hour: float):
        """(day index, seconds after local midnight) of ``total`` events over the period, in
        order: each day's share drawn sorted (sequential order statistics), nothing held."""
        first, span = int(start_hour * 3600), int((end_hour - start_hour) * 3600)
        for day, count in enumerate(_allocate(total, self.day_weights())):
            x = 0.0
            for left in range(count, 0, -1):
                x = 1.0 - (1.0 - x) * rng.random() ** (1.0 / left)
                yield day, first + min(int(x * span), span - 1)

    def midnights(self) -> list[dict[int, datetime]]:
        days = [self.first_day + timedelta(days=d) for d in range(self.o.days)]
        return [{h: _utc(day, h) for h in (7, 8, 9)} for day in days]

    # -- concerns -------------------------------------------------------------------------------

    def deadline(self, moment: datetime, days: int) -> datetime:
        """add_working_days, asked once per local day and length (it reads the holidays)."""
        local = moment.astimezone(self.tz)
        key = (local.date(), days)
        target = self.deadlines.get(key)
        if target is None:
            target = self.deadlines[key] = add_working_days(local, days).date()
        return local.replace(year=target.year, month=target.month, day=target.day).astimezone(UTC)

    def concern_tables(self) -> tuple[Table, Table]:
        concerns = self.writer.table(
            Concern,
            (
                "id tracking_code source category_id description village_id site_id "
                "visit_id unit_id lat lon status reporter_name reporter_phone "
                "reporter_email anonymous confidential created_by_id created_at "
                "updated_at due_at assigned_to_id agency duplicate_of_id resolved_at "
                "rating rating_comment search_stems"
            ),
        )
        events = self.writer.table(
            Event,
            ("id kind concern_id actor_id from_status to_status note public created_at"),
        )
        return concerns, events

    def load_categories(self) -> None:
        self.categories = list(
            Category.objects.filter(active=True)
            .order_by("code")
            .values_list("pk", "code", "group", "verify_days", "respond_days", "agency")
        )
        if not self.categories:
            raise GenerateError("the category library is empty: run `patroli migrate` first")
        self.category_weights = [
            {"Pemilu": 3, "Kamtibmas": 2}.get(group, 1) for _pk, _c, group, *_ in self.categories
        ]

    def concern(
        self,
        rng: random.Random,
        out: list,
        events: list,
        *,
        index: int,
        created: datetime,
        village: Village,
        site_id: int | None,
        place: str,
        source: str,
        visit_id=None,
        created_by: int | None = None,
        lat: float | None = None,
        lon: float | None = None,
        reporter: tuple[str, str, str] = ("", "", ""),
        anonymous: bool = False,
        confidential: bool = False,
    ) -> None:
        """A concern and its events, its life cut short by the end of the period."""
        cid = self.ids["concern"]
        self.ids["concern"] += 1
        pk, code, _group, verify_days, respond_days, agency = rng.choices(
            self.categories, weights=self.category_weights
        )[0]
        description = rng.choice(CONCERN_TEXTS.get(code, CONCERN_TEXT)).format(place=place)
        life = rng.choices(LIVES, weights=[w for w, _ in LIVES])[0][1]
        duplicate_of = self.last_concern.get(village.code)
        if life == ("duplicate",) and duplicate_of is None:
            life = ("rejected",)
        self.last_concern[village.code] = cid
        commander = village.officer0
        status, moment, due = "received", created, self.deadline(created, verify_days)
        resolved_at = closed_at = assigned = rating = None
        referred_to, comment = "", ""
        updated = created

        def event(kind, actor, before, after, note, public, at):
            nonlocal updated
            events.append((self.ids["event"], kind, cid, actor, before, after, note, public, at))
            self.ids["event"] += 1
            updated = max(updated, at)

        event("status", created_by, "", "received", "", True, created)
        for step in life:
            low, high = STEP_HOURS[step]
            moment = moment + timedelta(seconds=int(rng.uniform(low, high) * 3600))
            if moment > self.end:
                break
            if step == "in_progress":
                assigned = self.officer(rng, village)
                first, last, rank = officer_identity(self.o.seed, assigned)
                who = f"{rank if assigned != commander else 'AKP'} {first} {last}"  # display_name
                event("assign", commander, status, status, self.assigned_note % who, False, moment)
            note = STATUS_NOTES.get(step, "")
            if step == "referred":
                referred_to = agency or "Pemerintah Daerah"
                note = f"Diteruskan kepada {referred_to}."
            actor = None if step == "reopened" and source != "patrol" else commander
            event("status", actor, status, step, note, True, moment)
            status = step
            if step == "resolved":
                resolved_at = moment
            elif step == "closed":
                closed_at = moment
            if step != "in_progress":
                due = (
                    self.deadline(moment, respond_days)
                    if step in ("verified", "reopened")
                    else None
                )
        if status != "duplicate":
            duplicate_of = None
        if status in ("resolved", "closed") and rng.random() < 0.35:
            # The reporter rates the resolved concern, before it is closed.
            at = resolved_at + timedelta(seconds=int(rng.uniform(1, 72) * 3600))
            if closed_at and at >= closed_at:
                at = resolved_at + (closed_at - resolved_at) / 2
            if at <= self.end:
                rating = rng.choices((5, 4, 3, 2, 1), weights=(40, 30, 15, 8, 7))[0]
                comment = "Terima kasih, cepat ditangani." if rating >= 4 else ""
                note = self.rated_note % {"rating": rating}
                event("rating", None, "resolved", "resolved", note, True, at)
        out.append(
            (
                cid,
                tracking_code(index, self.o.seed),
                source,
                pk,
                description,
                village.code,
                site_id,
                visit_id,
                village.unit_id,
                lat,
                lon,
                status,
                *reporter,
                anonymous,
                confidential,
                created_by,
                created,
                updated,
                due,
                assigned,
                referred_to,
                duplicate_of,
                resolved_at,
                rating,
                comment,
                stems_column(description, ""),
            )
        )

    # -- visits ---------------------------------------------------------------------------------

    def write_visits(self, total: int, patrol_concerns: int) -> None:
        o = self.o
        searchable = hasattr(Visit, "search_columns")
        if searchable:
            # What record_visit stores, from its own function: the site's name and the dialogue.
            from patroli.patrols.services import DialogueData, visit_search_text
        visit_table = self.writer.table(
            Visit,
            (
                "id site_id unit_id kind recorded_by_id started_at ended_at lat lon "
                "distance_m far_from_site created_at recorded_at clock_skew_s"
                + (" search_text search_stems" if searchable else "")
                + " response attendees"
            ),
        )
        officers_field = Visit._meta.get_field("officers")
        officers_table = self.writer.table(
            officers_field.remote_field.through,
            f"id {officers_field.m2m_column_name()} {officers_field.m2m_reverse_name()}",
        )
        dialogue_table = self.writer.table(
            Dialogue,
            ("id visit_id attendees topics response notes statement"),
        )
        appeals_field = Dialogue._meta.get_field("appeals")
        appeals_table = self.writer.table(
            appeals_field.remote_field.through,
            f"id {appeals_field.m2m_column_name()} {appeals_field.m2m_reverse_name()}",
        )
        participant_table = self.writer.table(
            Participant,
            ("id dialogue_id name role organisation order"),
        )
        concern_table, event_table = self.concern_tables()
        appeals = list(
            Appeal.objects.filter(active=True).order_by("code").values_list("pk", flat=True)
        )
        rng, crng = self.rng("visits"), self.rng("patrol-concerns")
        radius = settings.PATROLI_CHECKIN_RADIUS_M
        midnights = self.midnights()
        kinds = (Visit.Kind.DIALOGIC, Visit.Kind.ROUTINE, Visit.Kind.ELECTION_GUARD)
        responses = ("positive", "neutral", "negative")
        minutes = {kinds[0]: (30, 120), kinds[1]: (15, 45), kinds[2]: (60, 240)}
        attendees = {kinds[0]: (5, 40), kinds[1]: (2, 12), kinds[2]: (3, 25)}
        left, wanted = total, patrol_concerns
        tables = [
            visit_table,
            officers_table,
            dialogue_table,
            appeals_table,
            participant_table,
            concern_table,
            event_table,
        ]
        self.progress.start("visits", total)
        batch = [[] for _ in tables]
        visits, v_officers, dialogues, d_appeals, participants, concerns, events = batch
        dialogue_id = 1
        for day, seconds in self.moments(rng, total, 7, 21):
            village, site_id = self.pick_site(rng)
            started = midnights[day][village.offset] + timedelta(seconds=seconds)
            kind = rng.choices(kinds, weights=(6, 3, 1))[0]
            ended = started + timedelta(minutes=rng.randint(*minutes[kind]))
            recorder = self.officer(rng, village)
            site_lat, site_lng = self.site_point(village, site_id)
            lat = lon = distance = None
            fix = rng.random()
            if site_lat is not None and fix < 0.95:  # one visit in twenty without a GPS fix
                metres = rng.expovariate(1 / 35) if fix < 0.92 else rng.uniform(250, 3000)
                bearing = rng.uniform(0, 2 * math.pi)
                lat = round(site_lat + metres * math.cos(bearing) / 111_320, 6)
                lon = round(
                    site_lng
                    + metres * math.sin(bearing) / (111_320 * math.cos(math.radians(site_lat))),
                    6,
                )
                distance = round(distance_m(lat, lon, site_lat, site_lng), 1)
            offline = rng.random() < 0.3  # sent later, from the outbox
            received = ended + timedelta(
                seconds=rng.randint(600, 6 * 3600) if offline else rng.randint(2, 120)
            )
            visit_id = _uuid(rng, started)
            site_name = self.site_name(village, site_id)
            response = rng.choices(responses, weights=(6, 3, 1))[0]
            topics = rng.sample(TOPICS, rng.randint(0, 2)) if kind != kinds[1] else []
            notes = rng.choice(NOTES[response])
            visit = (
                visit_id,
                site_id,
                village.unit_id,
                kind,
                recorder,
                started,
                ended,
                lat,
                lon,
                distance,
                distance is not None and distance > radius,
                received,
                ended,
                round(rng.gauss(0, 20), 1),
            )
            if searchable:
                said = DialogueData(participants=[], topics=topics, notes=notes)
                text = visit_search_text(_Named(site_name), said)
                visit += (text, stems_column(text))
            v_officers.append((self.ids["visit_officer"], visit_id, recorder))
            self.ids["visit_officer"] += 1
            if o.officers_per_polsek > 1 and rng.random() < 0.4:
                partner = self.officer(rng, village)
                if partner != recorder:
                    v_officers.append((self.ids["visit_officer"], visit_id, partner))
                    self.ids["visit_officer"] += 1
            people = rng.randint(*attendees[kind])
            visits.append((*visit, response, people))  # the dialogue's, copied as the services do
            dialogues.append((dialogue_id, visit_id, people, topics, response, notes, ""))
            if appeals:
                given = rng.randint(1, 3) if kind != kinds[1] else rng.randint(0, 1)
                for appeal in rng.sample(appeals, min(given, len(appeals))):
                    d_appeals.append((self.ids["appeal"], dialogue_id, appeal))
                    self.ids["appeal"] += 1
            if kind == kinds[0] and rng.random() < 0.5:  # the key people met, by name
                at_pps = site_id == village.first_site
                roles = ("Ketua PPS", "Anggota PPS") if at_pps else ("Ketua KPPS", "Anggota KPPS")
                body = f"PPS {village.label}" if at_pps else f"KPPS {site_name}"
                for order in range(rng.randint(1, 3)):
                    participants.append(
                        (
                            self.ids["participant"],
                            dialogue_id,
                            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                            roles[min(order, 1)],
                            body,
                            order,
                        )
                    )
                    self.ids["participant"] += 1
            # Exactly ``patrol_concerns`` of the visits raise one (selection sampling).
            if wanted and crng.random() * left < wanted:
                self.concern(
                    crng,
                    concerns,
                    events,
                    index=patrol_concerns - wanted,
                    created=ended,
                    village=village,
                    site_id=site_id,
                    place=site_name,
                    source=Concern.Source.PATROL,
                    visit_id=visit_id,
                    created_by=recorder,
                )
                wanted -= 1
            left -= 1
            dialogue_id += 1
            if len(visits) >= o.batch_size:
                self.writer.write(list(zip(tables, batch, strict=True)))
                self.progress.advance(len(visits))
                for rows in batch:
                    rows.clear()
        self.writer.write(list(zip(tables, batch, strict=True)))
        self.progress.advance(len(visits))
        self.progress.finish(f"{patrol_concerns:,} concerns raised on patrol")

    def write_reports(self, total: int, first_index: int) -> None:
        """Concerns reported by residents (web, Open311) and entered by staff."""
        concern_table, event_table = self.concern_tables()
        rng = self.rng("concerns")
        midnights = self.midnights()
        sources = (Concern.Source.WEB, Concern.Source.OPEN311, Concern.Source.STAFF)
        self.progress.start("concerns", total)
        concerns, events = [], []
        for n, (day, seconds) in enumerate(self.moments(rng, total, 6, 23)):
            village, site_id = self.pick_site(rng)
            created = midnights[day][village.offset] + timedelta(seconds=seconds)
            source = rng.choices(sources, weights=(55, 15, 30))[0]
            anonymous = source != Concern.Source.STAFF and rng.random() < 0.25
            reporter = ("", "", "")
            if not anonymous:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                phone = f"08{rng.randrange(10**9, 10**10)}"
                email = f"{first.lower()}.{last.lower()}@contoh.id" if rng.random() < 0.2 else ""
                reporter = (f"{first} {last}", phone, email)
            lat = lon = None
            if village.lat is not None and rng.random() < 0.5:
                lat = round(village.lat + rng.uniform(-0.005, 0.005), 6)
                lon = round(village.lng + rng.uniform(-0.005, 0.005), 6)
            with_site = rng.random() < 0.4
            self.concern(
                rng,
                concerns,
                events,
                index=first_index + n,
                created=created,
                village=village,
                site_id=site_id if with_site else None,
                place=self.site_name(village, site_id) if with_site else village.label,
                source=source,
                created_by=self.officer(rng, village) if source == Concern.Source.STAFF else None,
                lat=lat,
                lon=lon,
                reporter=reporter,
                anonymous=anonymous,
                confidential=rng.random() < 0.05,
            )
            if len(concerns) >= self.o.batch_size:
                self.writer.write([(concern_table, concerns), (event_table, events)])
                self.progress.advance(len(concerns))
                concerns, events = [], []
        self.writer.write([(concern_table, concerns), (event_table, events)])
        self.progress.advance(len(concerns))
        self.progress.finish()

    def write_incidents(self, total: int) -> None:
        table = self.writer.table(
            Incident,
            (
                "id kind severity status occurred_at description site_id village_id lat "
                "lon unit_id visit_id recorded_by_id created_at"
            ),
        )
        rng = self.rng("incidents")
        midnights = self.midnights()
        kinds = Incident.Kind.values
        weights = [3 if k in Incident.ELECTION_KINDS else 2 for k in kinds]
        self.progress.start("incidents", total)
        rows = []
        for day, seconds in self.moments(rng, total, 0, 24):
            village, site_id = self.pick_site(rng)
            occurred = midnights[day][village.offset] + timedelta(seconds=seconds)
            kind = rng.choices(kinds, weights=weights)[0]
            with_site = rng.random() < 0.6
            place = self.site_name(village, site_id) if with_site else village.label
            age = (self.end - occurred).days
            status = rng.choices(
                Incident.Status.values,
                weights=(70, 30, 0) if age < 1 else (20, 50, 30) if age < 7 else (5, 20, 75),
            )[0]
            lat = lon = None
            if village.lat is not None and rng.random() < 0.7:
                lat = round(village.lat + rng.uniform(-0.01, 0.01), 6)
                lon = round(village.lng + rng.uniform(-0.01, 0.01), 6)
            rows.append(
                (
                    _uuid(rng, occurred),
                    kind,
                    rng.choices(Incident.Severity.values, weights=(6, 3, 1))[0],
                    status,
                    occurred,
                    INCIDENT_TEXTS.get(kind, INCIDENT_TEXT).format(place=place),
                    site_id if with_site else None,
                    village.code,
                    lat,
                    lon,
                    village.unit_id,
                    None,
                    self.officer(rng, village),
                    occurred + timedelta(seconds=rng.randint(600, 6 * 3600)),
                )
            )
            if len(rows) >= self.o.batch_size:
                self.writer.write([(table, rows)])
                self.progress.advance(len(rows))
                rows = []
        self.writer.write([(table, rows)])
        self.progress.advance(len(rows))
        self.progress.finish()

    # -- after the load -------------------------------------------------------------------------

    def finish(self) -> None:
        began = time.perf_counter()
        # The copy on each site of its latest visit, which the visit services keep as they
        # write (the load went around them), read once the visits' index is built again.
        refresh_latest_visits()
        self.progress.note(f"sites' latest visits: {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The ids were given: move each sequence past them.
                given = [
                    Unit,
                    Unit.regions.through,
                    Officer,
                    Site,
                    Visit.officers.through,
                    Dialogue,
                    Dialogue.appeals.through,
                    Participant,
                    Concern,
                    Event,
                ]
                for sql in connection.ops.sequence_reset_sql(no_style(), given):
                    cursor.execute(sql)
            if self.o.analyze:
                tables = ", ".join(connection.ops.quote_name(t) for t in self.summary.tables)
                if connection.vendor == "postgresql":
                    cursor.execute(f"ANALYZE {tables}")
                else:
                    cursor.execute("ANALYZE")
        what = "sequences and statistics" if self.o.analyze else "sequences"
        self.progress.note(f"{what}: {time.perf_counter() - began:.1f} s")


def plain_indexes(models_: list[type[models.Model]]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of these tables that only speed up reads: not the
    primary key, not unique, not behind a constraint. A bulk load goes faster without them, and
    building each once afterwards, from sorted data, is quicker than updating it row by row."""
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace "
                "AND NOT x.indisunique AND NOT x.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid) "
                "ORDER BY t.relname, i.relname",
                [tables],
            )
        elif connection.vendor == "sqlite":
            # Unique indexes and those of constraints (their sql is NULL) stay.
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND sql NOT LIKE 'CREATE UNIQUE%%' "
                "AND tbl_name IN (SELECT value FROM json_each(%s)) ORDER BY tbl_name, name",
                [json.dumps(tables)],
            )
        else:
            return []
        return cursor.fetchall()


def drop_indexes(indexes: list[tuple[str, str]]) -> None:
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")


def build_indexes(indexes: list[tuple[str, str]]) -> None:
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # Inside a transaction (tests), run the deferred foreign-key checks first: PostgreSQL
        # does not index a table with pending trigger events.
        connection.check_constraints()
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)


@dataclass(slots=True)
class _Named:
    name: str  # a site, as far as visit_search_text reads it


def _uuid(rng: random.Random, moment: datetime) -> uuid.UUID:
    """The id a client would have made at ``moment`` (core/ids.py), from the seeded ``rng``."""
    return uuid7(moment, bits=rng.getrandbits(74))


def generate_country(*, options: Options, progress: Progress | None = None) -> Summary:
    """Fill an empty database with a synthetic country; the sizes, rows and times written."""
    if options.regions_prefix and not re.match(PREFIX_FORMAT, options.regions_prefix):
        raise GenerateError(f"{options.regions_prefix!r} is not a Kemendagri code prefix (64.09)")
    for name in ("tps", "visits", "concerns", "incidents"):
        value = getattr(options, name)
        if value is not None and value < 0:
            raise GenerateError(f"--{name} cannot be negative")
    if options.days < 1 or options.officers_per_polsek < 1 or options.batch_size < 1:
        raise GenerateError("--days, --officers-per-polsek and --batch-size must be at least 1")
    progress = progress or Progress()
    began = time.perf_counter()
    check_empty()
    imported = ensure_regions(options.regions_prefix, options.regions_file)
    if imported:
        progress.note(f"regions: {imported:,} imported")
    summary = Summary(sizes=Sizes(0, 0, 0, 0))
    generator = Generator(options, progress, summary)
    generator.load_categories()
    vendor = connection.vendor
    restore = None
    if vendor == "sqlite" and not connection.in_atomic_block:
        # Disposable data: skip the fsync of every batch. A crash of the machine (not of the
        # process) mid-run can lose or damage the file; run again into a fresh one then.
        with connection.cursor() as cursor:
            restore = cursor.execute("PRAGMA synchronous").fetchone()[0]
            cursor.execute("PRAGMA synchronous=OFF")
    elif vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")  # this session only
    try:
        polsek = generator.units()
        generator.load_villages(polsek)
        if not generator.villages:
            raise GenerateError(f"no villages under {options.regions_prefix!r}")
        sizes = summary.sizes = generator.resolve_sizes()
        generator.spread_tps(sizes.tps)
        generator.write_sites()
        indexes = plain_indexes(STREAMED)
        drop_indexes(indexes)
        loaded = False
        try:
            patrol = min(round(sizes.concerns * PATROL_SHARE), sizes.visits)
            generator.write_visits(sizes.visits, patrol)
            generator.write_reports(sizes.concerns - patrol, first_index=patrol)
            generator.write_incidents(sizes.incidents)
            loaded = True
        finally:
            building = time.perf_counter()
            # Always built again: a half-loaded database keeps its schema whole.
            with contextlib.nullcontext() if loaded else contextlib.suppress(DatabaseError):
                build_indexes(indexes)
            seconds = time.perf_counter() - building
            progress.note(f"indexes: {len(indexes)} built in {seconds:.1f} s")
        generator.finish()
    finally:
        # Only a session setting to put back; never hide the error that brought us here.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            if restore is not None:
                cursor.execute(f"PRAGMA synchronous={int(restore)}")
            elif vendor == "postgresql":
                cursor.execute("SET synchronous_commit TO DEFAULT")
    summary.seconds = time.perf_counter() - began
    summary.peak_rss_mb = peak_rss_mb()
    return summary
