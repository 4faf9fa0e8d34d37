"""A news release drafted from a patrol record, in the Indonesian style of Polri's Humas.

Everything the draft states comes from the record: the visit, its dialogue, its unit, site and
officers, and the election stage of the day. A part without data is left out, never filled in.
Each part has several phrasings; which one is used follows from a hash of the visit's id and the
part's name, so a visit always gives the same draft and two visits seldom read alike.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from patroli.elections.models import Stage
from patroli.newsroom.models import Release
from patroli.units.models import Officer

MONTHS = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip
WEEKDAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
# Indonesia's three time zones by their UTC offset in hours.
ZONES = {7: "WIB", 8: "WITA", 9: "WIT"}
DATELINE_MAX = Release._meta.get_field("dateline").max_length
# More named officers than this are counted instead of listed.
MAX_NAMED_COMPANIONS = 3
# First words that stay capitalised when a topic or title is put inside a sentence.
PROPER_WORDS = {
    "Allah", "Bawaslu", "Bhabinkamtibmas", "Babinsa", "Desa", "IKN", "Idul", "Kabupaten",
    "Kapolsek", "Kapolres", "Kapolda", "Kecamatan", "Kelurahan", "Kota", "Lebaran", "Natal",
    "Nusantara", "Panwaslu", "Pemilu", "Pilkada", "Pilkades", "Polda", "Polres", "Polri",
    "Polsek", "Ramadan", "Pancasila",
}  # fmt: skip

ACTIVITY = {
    "dialogic": ("patroli dialogis", "Patroli Dialogis"),
    "routine": ("patroli rutin", "Patroli Rutin"),
}


@dataclass(frozen=True)
class Draft:
    title: str
    dateline: str  # "Sepaku, 23 Januari 2024 –"
    body: str  # Markdown; the first paragraph starts with the dateline, then the lead


def indonesian_date(day: date) -> str:
    """23 Januari 2024."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def draft_release(visit) -> Draft:
    """A draft release of ``visit``; the same visit always gives the same draft."""
    facts = _Facts.of(visit)
    writer = _Writer(facts)
    dateline = _dateline(facts)
    paragraphs = [
        f"{dateline} {writer.lead()}",
        writer.stage(),
        writer.meeting(),
        writer.purpose(),
        writer.quote(),
        writer.appeals(),
        writer.response(),
    ]
    body = "\n\n".join(p for p in paragraphs if p)
    return Draft(title=writer.title(), dateline=dateline, body=body)


def _dateline(facts: _Facts) -> str:
    """Sepaku, 23 Januari 2024 – : the district, else the village, shortened to fit the column."""
    when = f", {indonesian_date(facts.day)} –"
    room = DATELINE_MAX - len(when)
    places = [p for p in (facts.district, " ".join(facts.village.name.split())) if p]
    place = next((p for p in places if len(p) <= room), None)
    if place is None:
        place = places[0][: room - 1].rstrip() + "…"
    return place + when


# --- The facts of the record -------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    key: str
    kind: str
    unit_name: str
    site_name: str
    village: object
    district: str
    start: datetime
    end: datetime | None
    leader: Officer | None
    leader_is_commander: bool
    companions: list[Officer]
    spokesperson: Officer | None
    has_dialogue: bool
    participants: list
    attendees: int
    topics: list[str]
    appeals: list
    response: str
    statement: str
    concerns: int
    stage: Stage | None

    @property
    def day(self) -> date:
        return self.start.date()

    @classmethod
    def of(cls, visit) -> _Facts:
        start = timezone.localtime(visit.started_at)
        end = timezone.localtime(visit.ended_at) if visit.ended_at else None
        village = visit.site.village
        district = village.parent.name if village.parent_id else ""
        through = visit.officers.through.objects.filter(visit_id=visit.pk)
        officers = [row.officer for row in through.select_related("officer__unit").order_by("pk")]
        commanders = [o for o in officers if _commands(o, visit.unit_id)]
        leader = commanders[0] if commanders else (officers[0] if officers else None)
        spokesperson = leader if commanders else _unit_commander(visit.unit_id)
        try:
            dialogue = visit.dialogue
        except ObjectDoesNotExist:
            dialogue = None
        concerns = [c for c in visit.concerns.all() if not c.confidential]
        return cls(
            key=str(visit.pk),
            kind=visit.kind,
            unit_name=visit.unit.name.strip(),
            site_name=visit.site.name.strip(),
            village=village,
            district=district.strip(),
            start=start,
            end=end,
            leader=leader,
            leader_is_commander=bool(commanders),
            companions=[o for o in officers if o != leader],
            spokesperson=spokesperson,
            has_dialogue=dialogue is not None,
            participants=(
                [p for p in dialogue.participants.all() if p.name.strip()] if dialogue else []
            ),
            attendees=dialogue.attendees if dialogue else 0,
            topics=[str(t).strip() for t in _listed(dialogue) if str(t).strip()],
            appeals=list(dialogue.appeals.all()) if dialogue else [],
            response=dialogue.response if dialogue else "",
            statement=dialogue.statement.strip() if dialogue else "",
            concerns=len(concerns),
            stage=Stage.objects.current(start.date(), village),
        )


def _listed(dialogue) -> list:
    topics = dialogue.topics if dialogue else []
    return topics if isinstance(topics, list) else []


def _commands(officer: Officer, unit_id) -> bool:
    return officer.role == Officer.Role.COMMANDER and officer.unit_id == unit_id


def _unit_commander(unit_id) -> Officer | None:
    return (
        Officer.objects.filter(unit_id=unit_id, role=Officer.Role.COMMANDER, is_active=True)
        .select_related("unit")
        .order_by("pk")
        .first()
    )


# --- Words -----------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Record text put into Markdown: its characters must not turn into markup."""
    return re.sub(r"([\\`*_\[\]])", r"\\\1", " ".join(str(text).split()))


def _inline(text: str) -> str:
    """A topic or an appeal title as part of a sentence: no final stop, a small first letter."""
    text = _escape(text).rstrip(" .;:")
    first = text.split(" ", 1)[0]
    if (
        len(first) > 1
        and first[0].isupper()
        and first[1:].islower()
        and first.strip(",") not in PROPER_WORDS
    ):
        return text[0].lower() + text[1:]
    return text


def _sentence(text: str) -> str:
    """A record text as a sentence of its own: capitalised, with a final stop."""
    text = _escape(text).strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _series(items: Sequence[str], last: str = "dan") -> str:
    """a; a dan b; a, b, dan c (semicolons when an item holds a comma)."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} {last} {items[1]}"
    commas = any("," in re.sub(r"\([^)]*\)", "", i) for i in items)
    sep = "; " if commas else ", "
    return sep.join(items[:-1]) + f"{sep.strip()} {last} {items[-1]}"


def _number(n: int) -> str:
    return "sehari" if n == 1 else f"{n} hari"


def _name(officer: Officer) -> str:
    return officer.get_full_name().strip()


def _position(officer: Officer) -> str:
    """The position, or for a unit's commander the title that goes with it (Kapolsek Sepaku)."""
    if officer.position.strip():
        return officer.position.strip()
    unit = officer.unit
    if officer.role == Officer.Role.COMMANDER and unit and unit.name.startswith("Pol"):
        return "Ka" + unit.name[0].lower() + unit.name[1:]
    return ""


def _full(officer: Officer) -> str:
    """Kapolsek Sepaku AKP Kasiyono; "" for an officer known by neither name nor position."""
    if not _name(officer):
        return _escape(_position(officer))
    return _escape(" ".join(p for p in (_position(officer), officer.rank, _name(officer)) if p))


def _short(officer: Officer) -> str:
    """AKP Kasiyono (or the position when the name is missing)."""
    if not _name(officer):
        return _escape(_position(officer))
    return _escape(f"{officer.rank} {_name(officer)}".strip())


def _election(stage: Stage) -> str:
    """The election as prose: Pemilu 2024, Pilkada 2024, pemilihan kepala desa 2025."""
    name = " ".join(stage.election.split())
    if name.lower().startswith("pilkades"):
        return ("pemilihan kepala desa " + name[len("pilkades") :].strip()).strip()
    return _escape(name)


# --- The writer --------------------------------------------------------------------------------


class _Writer:
    def __init__(self, facts: _Facts):
        self.f = facts

    def pick(self, part: str, options: Sequence):
        digest = hashlib.sha256(f"{self.f.key}:{part}".encode()).digest()
        return options[int.from_bytes(digest[:8], "big") % len(options)]

    # Names of things

    def activity(self) -> tuple[str, str]:
        """(prose, headline) of the kind of patrol."""
        if self.f.kind in ACTIVITY:
            return ACTIVITY[self.f.kind]
        if self.f.stage:
            return (
                f"patroli pengamanan {_election(self.f.stage)}",
                f"Pengamanan {_escape(self.f.stage.election)}",
            )
        return "patroli pengamanan pemilu", "Pengamanan Pemilu"

    def place(self) -> str:
        """Kantor PPS Desa Bumi Harapan, Kecamatan Sepaku (without saying a name twice)."""
        parts = [self.f.site_name]
        village = self.f.village
        if village.name.lower() not in self.f.site_name.lower():
            noun = "Kelurahan" if village.kind == "kelurahan" else "Desa"
            parts.append(f"{noun} {village.name}")
        district = f"Kecamatan {self.f.district}"
        if self.f.district and district.lower() not in self.f.site_name.lower():
            parts.append(district)
        return _escape(", ".join(parts))

    def when(self) -> str:
        start, end = self.f.start, self.f.end
        weekday = WEEKDAYS[start.weekday()]
        short = f"{start.day}/{start.month}/{start.year}"
        zone = ZONES.get(int(start.utcoffset().total_seconds() // 3600), "")
        suffix = f" {zone}" if zone else ""
        at = f"{start:%H.%M}"
        if end is None:
            hours = [
                f"pukul {at}{suffix}",
                f"mulai pukul {at}{suffix}",
                f"sejak pukul {at}{suffix}",
            ]
        elif end.date() != start.date():
            until = f"{indonesian_date(end.date())} pukul {end:%H.%M}{suffix}"
            hours = [f"pukul {at}{suffix} hingga {until}"] * 3
        else:
            hours = [
                f"pukul {at}–{end:%H.%M}{suffix}",
                f"mulai pukul {at} hingga {end:%H.%M}{suffix}",
                f"sejak pukul {at} sampai {end:%H.%M}{suffix}",
            ]
        options = [
            f"pada {weekday} ({short}) {hours[0]}",
            f"pada hari {weekday}, {indonesian_date(start.date())}, {hours[1]}",
            f"pada {weekday} ({short}) {hours[2]}",
        ]
        return self.pick("when", options)

    def spokesperson(self) -> str:
        person = self.f.spokesperson
        return (_full(person) if person else "") or _escape(self.f.unit_name)

    def audience(self) -> str:
        return "para peserta" if self.f.participants or self.f.attendees else "warga"

    # Parts

    def title(self) -> str:
        unit, site = _escape(self.f.unit_name), _escape(self.f.site_name)
        _, activity = self.activity()
        options = [
            f"{unit} Gelar {activity} di {site}",
            f"{unit} Laksanakan {activity} di {site}",
            f"{activity}, {unit} Sambangi {site}",
        ]
        if self.f.appeals:
            options.append(f"Lewat {activity}, {unit} Sampaikan Imbauan di {site}")
        stage = self.f.stage
        if stage and stage.voting_day and stage.voting_day > self.f.day:
            options.append(f"Jelang {_escape(stage.election)}, {unit} Gelar {activity} di {site}")
        title = self.pick("title", options)
        return title if len(title) <= 200 else min(options, key=len)[:200]

    def lead(self) -> str:
        unit, place, when = _escape(self.f.unit_name), self.place(), self.when()
        # A comma closes an enumerated place before the time follows.
        there = place + ("," if "," in place else "")
        activity, _ = self.activity()
        leader = _full(self.f.leader) if self.f.leader else ""
        options = [
            f"{unit} menggelar {activity} di {there} {when}.",
            f"Jajaran {unit} melaksanakan {activity} di {place}, {when}.",
            f"Bertempat di {place}, {unit} melaksanakan {activity} {when}.",
        ]
        if leader:
            with_team = " bersama jajarannya" if self.f.companions else ""
            options.append(
                f"{leader}{with_team} menyambangi {there} dalam rangka {activity} {when}."
            )
        text = self.pick("lead", options)
        if not leader:
            # Officers known by neither name nor position are counted, not named.
            team = self.team(([self.f.leader] if self.f.leader else []) + self.f.companions)
            if team:
                text += f" Kegiatan ini melibatkan {team}."
        elif text.startswith(leader):
            if team := self.team(self.f.companions):
                text += f" Dalam kegiatan ini, {_short(self.f.leader)} didampingi {team}."
        else:
            led = "dipimpin langsung oleh" if self.f.leader_is_commander else "dipimpin oleh"
            team = self.team(self.f.companions)
            escort = f" dan didampingi {team}" if team else ""
            text += " " + self.pick(
                "leader",
                [
                    f"Kegiatan tersebut {led} {leader}{escort}.",
                    f"Kegiatan ini {led} {leader}{escort}.",
                    f"Patroli tersebut {led} {leader}{escort}.",
                ],
            )
        if self.f.topics:
            text += " " + self.topics()
        return text

    def team(self, officers: list[Officer]) -> str:
        named = [_full(o) for o in officers if _full(o)]
        unnamed = len(officers) - len(named)
        if len(named) > MAX_NAMED_COMPANIONS:
            return f"{len(officers)} personel"
        if unnamed:
            named.append(f"{unnamed} personel lainnya" if named else f"{unnamed} personel")
        return _series(named)

    def topics(self) -> str:
        topics = _series([_inline(t) for t in self.f.topics], self.pick("and", ["dan", "serta"]))
        if len(self.f.topics) == 1:
            options = [
                f"Dalam kegiatan tersebut dibahas {topics}.",
                f"Hal yang dibahas dalam kegiatan itu adalah {topics}.",
                f"Pembahasan dalam kegiatan tersebut mencakup {topics}.",
            ]
        else:
            options = [
                f"Dalam kegiatan tersebut dibahas {topics}.",
                f"Pokok bahasan dalam kegiatan itu meliputi {topics}.",
                f"Sejumlah hal menjadi bahan pembicaraan, yakni {topics}.",
                f"Pembahasan dalam kegiatan tersebut mencakup {topics}.",
            ]
        return self.pick("topics", options)

    def stage(self) -> str:
        stage = self.f.stage
        if stage is None:
            return ""
        election = _election(stage)
        phases = {
            Stage.Kind.PREPARATION: ("masa persiapan", "tahap persiapan"),
            Stage.Kind.CAMPAIGN: ("masa kampanye", "masa kampanye"),
            Stage.Kind.QUIET: ("masa tenang", "masa tenang"),
            Stage.Kind.COUNTING: ("tahap penghitungan suara", "penghitungan suara"),
            Stage.Kind.RECAPITULATION: (
                "tahap rekapitulasi hasil penghitungan suara",
                "rekapitulasi hasil penghitungan suara",
            ),
        }
        if stage.kind == Stage.Kind.VOTING:
            return self.pick(
                "stage",
                [
                    f"Kegiatan ini bertepatan dengan hari pemungutan suara {election}.",
                    f"Patroli ini dilaksanakan tepat pada hari pemungutan suara {election}.",
                    f"Hari itu merupakan hari pemungutan suara {election}.",
                ],
            )
        if stage.kind in phases:
            phase, short = phases[stage.kind]
            options = [
                f"Kegiatan ini dilaksanakan di tengah {phase} {election}",
                f"Patroli ini berlangsung pada {phase} {election}",
                f"Saat kegiatan ini digelar, {election} tengah memasuki {short}",
            ]
            if stage.kind == Stage.Kind.QUIET:
                options[2] = (
                    f"Kegiatan ini berlangsung pada {phase} {election}, saat kegiatan kampanye "
                    "tidak lagi diperbolehkan"
                )
        else:
            name = _escape(stage.name)
            options = [
                f"Kegiatan ini dilaksanakan pada tahapan {name}",
                f"Patroli ini berlangsung pada tahapan {name}",
                f"Saat kegiatan ini digelar, tahapan {name} tengah berjalan",
            ]
        return self.pick("stage", options) + self.voting_day() + "."

    def voting_day(self) -> str:
        voting = self.f.stage.voting_day
        if voting is None:
            return ""
        day, days = indonesian_date(voting), (voting - self.f.day).days
        if days > 0:
            options = [
                f", menjelang pemungutan suara pada {day}",
                f"; pemungutan suara dijadwalkan pada {day}",
                f", {_number(days)} sebelum hari pemungutan suara pada {day}",
            ]
        elif days < 0:
            options = [
                f", setelah pemungutan suara pada {day}",
                f"; pemungutan suara telah berlangsung pada {day}",
                f", {_number(-days)} setelah hari pemungutan suara pada {day}",
            ]
        else:
            options = [f", bertepatan dengan hari pemungutan suara pada {day}"]
        return self.pick("voting-day", options)

    def meeting(self) -> str:
        groups: dict[str, list[str]] = {}
        for p in self.f.participants:
            groups.setdefault(_describe(p), []).append(_escape(p.name))
        people = _series([f"{_series(n)} ({d})" if d else _series(n) for d, n in groups.items()])
        sentences = []
        if people:
            sentences.append(
                self.pick(
                    "meeting",
                    [
                        f"Dalam kegiatan tersebut, petugas berdialog dengan {people}.",
                        f"Hadir dalam dialog tersebut {people}.",
                        f"Petugas bertemu langsung dengan {people}.",
                        f"Adapun pihak yang ditemui petugas yakni {people}.",
                    ],
                )
            )
        n = self.f.attendees
        if n > 0:
            count = f"sekitar {n} orang" if n >= 5 else f"{n} orang"
            sentences.append(
                self.pick(
                    "attendees",
                    [
                        f"Kegiatan tersebut dihadiri {count}.",
                        f"Secara keseluruhan, kegiatan ini dihadiri {count}.",
                        f"Jumlah yang hadir dalam kegiatan itu tercatat {count}.",
                    ],
                )
            )
        return " ".join(sentences)

    def purpose(self) -> str:
        goals = []
        whom = _series(
            list(
                dict.fromkeys(
                    _escape(p.organisation) for p in self.f.participants if p.organisation
                )
            )
        ) or ("warga yang hadir" if self.f.attendees else "")
        # The topics are told in the lead; here only that the officers talked with people.
        if self.f.has_dialogue and (whom or self.f.kind == "dialogic"):
            goals.append(f"bertatap muka dan berdialog langsung dengan {whom or 'warga'}")
        if self.f.appeals:
            goals.append(f"menyampaikan imbauan kamtibmas kepada {self.audience()}")
        if self.f.kind == "election_guard":
            stage = self.f.stage
            goals.append(
                f"mengamankan jalannya tahapan {_election(stage)}"
                if stage
                else "mengamankan lokasi"
            )
        if not goals:
            return ""
        goal = (
            f"{goals[0]} sekaligus {goals[1]}" if len(goals) == 2 else _series(goals, "sekaligus")
        )
        who = self.spokesperson()
        return self.pick(
            "purpose",
            [
                f"{who} menyampaikan bahwa kegiatan ini bertujuan untuk {goal}.",
                f"Menurut {who}, kegiatan tersebut dimaksudkan untuk {goal}.",
                f"{who} menjelaskan, patroli ini dilaksanakan untuk {goal}.",
                f"Dalam keterangannya, {who} menyebutkan bahwa kegiatan ini digelar guna {goal}.",
            ],
        )

    def quote(self) -> str:
        words = self.f.statement.strip().strip("\"“”„'").strip()
        if not words:
            return ""
        words = _escape(words.replace('"', "'").replace("“", "'").replace("”", "'"))
        words = words[0].upper() + words[1:]
        # "…," ujar X. — a question or an exclamation keeps its own mark instead of the comma.
        opened = f'"{words}"' if words[-1] in "!?" else f'"{words.rstrip(".,;: ")},"'
        person = self.f.leader or self.f.spokesperson
        speaker = (_short(person) if person else "") or f"petugas {_escape(self.f.unit_name)}"
        verb = self.pick(
            "said",
            [
                f"ujar {speaker}",
                f"kata {speaker}",
                f"tutur {speaker}",
                f"ucap {speaker} di hadapan {self.audience()}",
            ],
        )
        return f"{opened} {verb}."

    def appeals(self) -> str:
        appeals = [a for a in self.f.appeals if a.code != "partisipasi-warga"]
        joins = any(a.code == "partisipasi-warga" for a in self.f.appeals)
        audience = self.audience()
        text = ""
        if len(appeals) == 1:
            a = appeals[0]
            text = self.pick(
                "appeals",
                [
                    f"Dalam kesempatan tersebut, petugas {_as_clause(a)}.",
                    f"Pada kesempatan itu, petugas menyampaikan imbauan tentang {_inline(a.title)}"
                    f" kepada {audience}: {_inline(a.text)}.",
                    f"Di sela kegiatan, petugas juga {_as_clause(a)}.",
                ],
            )
        elif appeals:
            style = self.pick("appeals", ["list", "titles", "texts"])
            if style == "list":
                items = "\n".join(
                    f"- {_sentence(a.title)[:-1]}: {_inline(a.text)}." for a in appeals
                )
                text = (
                    f"Dalam kesempatan tersebut, petugas menyampaikan sejumlah imbauan kepada "
                    f"{audience}, yaitu:\n\n{items}"
                )
            elif style == "titles":
                titles = _series([_inline(a.title) for a in appeals], "serta")
                sep = ": " if ";" in titles else " "
                text = (
                    f"Pada kesempatan itu, petugas juga menyampaikan sejumlah imbauan kepada "
                    f"{audience}. Imbauan tersebut meliputi{sep}{titles}."
                )
            else:
                links = ["Petugas juga", "Selain itu, petugas", "Petugas pun", "Tak lupa, petugas"]
                sentences = [f"Dalam kesempatan tersebut, petugas {_as_clause(appeals[0])}."]
                for i, a in enumerate(appeals[1:]):
                    sentences.append(f"{links[i % len(links)]} {_as_clause(a)}.")
                text = " ".join(sentences)
        if joins:
            call = self.pick(
                "join",
                [
                    "Petugas turut mengajak warga untuk ikut serta menjaga keamanan lingkungan "
                    "masing-masing dan segera berkoordinasi dengan Bhabinkamtibmas bila melihat "
                    "hal yang mencurigakan.",
                    "Warga pun diajak berperan aktif menjaga keamanan dan ketertiban lingkungan "
                    "tempat tinggalnya masing-masing.",
                    "Tak hanya itu, petugas mengajak seluruh warga untuk turut menjaga keamanan "
                    "dan ketertiban di lingkungan sekitar.",
                ],
            )
            # After a list the call is a paragraph of its own, not part of the last item.
            text = f"{text}\n\n{call}" if "\n- " in text else f"{text} {call}".strip()
        return text

    def response(self) -> str:
        options = {
            "positive": [
                "Para peserta menyambut baik kegiatan tersebut.",
                "Kehadiran petugas mendapat tanggapan positif dari para peserta.",
                "Dialog berlangsung dengan tanggapan yang positif dari warga yang hadir.",
            ],
            "neutral": [
                "Tanggapan para peserta terhadap kegiatan ini cenderung netral.",
                "Secara umum, para peserta menanggapi kegiatan ini dengan sikap netral.",
                "Tanggapan warga yang hadir atas kegiatan tersebut tercatat netral.",
            ],
            "negative": [
                "Para peserta masih menyampaikan sejumlah keberatan dalam dialog tersebut.",
                "Dalam dialog tersebut, sejumlah keberatan masih disampaikan oleh peserta.",
                "Dialog tersebut juga diwarnai sejumlah keberatan dari peserta yang hadir.",
            ],
        }
        sentences = []
        if self.f.response in options:
            sentences.append(self.pick("response", options[self.f.response]))
        if self.f.concerns:
            many = self.f.concerns > 1
            sentences.append(
                self.pick(
                    "concerns",
                    [
                        f"Warga juga menyampaikan {'beberapa hal' if many else 'satu hal'} "
                        "yang akan ditindaklanjuti.",
                        f"{'Sejumlah masukan' if many else 'Masukan'} yang disampaikan dalam "
                        "kegiatan tersebut telah dicatat petugas untuk ditindaklanjuti.",
                        f"Petugas juga mencatat {'beberapa' if many else 'satu'} persoalan yang "
                        "disampaikan untuk ditindaklanjuti.",
                    ],
                )
            )
        return " ".join(sentences)


def _describe(participant) -> str:
    """Ketua PPS Desa Bumi Harapan, from role "Ketua PPS" and organisation "PPS Desa Bumi…"."""
    role = " ".join(participant.role.split())
    org = " ".join(participant.organisation.split())
    if not org or org.lower() in role.lower():
        return _escape(role)
    if not role or role.lower() in org.lower():
        return _escape(org)
    role_words, org_words = role.split(), org.split()
    for size in range(min(len(role_words), len(org_words)), 0, -1):
        if [w.lower() for w in role_words[-size:]] == [w.lower() for w in org_words[:size]]:
            return _escape(" ".join(role_words + org_words[size:]))
    return _escape(f"{role}, {org}")


def _as_clause(appeal) -> str:
    """An appeal as what the officers did: "mengimbau warga menolak …" from its library text."""
    text = _inline(appeal.text)
    if text[:2].lower() == "me" and text.split(" ", 1)[0].isalpha():
        return text[0].lower() + text[1:]
    return f"menyampaikan imbauan tentang {_inline(appeal.title)}"
