"""The daily report and the Anev as A4 PDF, drawn with fpdf2 from a gathered report.

A core font (Helvetica) keeps the file small and needs no font files; it holds only the
Windows-1252 characters, so every text passes ``printable`` first: accents outside it lose their
marks (ş becomes s), anything else (emoji, other scripts) becomes "?". Nothing can make the
rendering fail on a name typed on a phone.

Render under the language the report was gathered in (see ``reports.py``).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Sequence

from django.utils import formats, timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from patroli.elections.models import Incident
from patroli.patrols.models import Dialogue

from .figures import COVERAGE_DAYS
from .reports import (
    LEFT_ALONE_ROWS,
    MAX_ROWS,
    AnevReport,
    ConcernRow,
    DailyReport,
    Report,
    Table,
)

ENCODING = "cp1252"
ZWJ = "\u200d"
FONT = "Helvetica"
INK = (30, 30, 30)
MUTED = (100, 100, 100)
BAR = (31, 78, 140)
HEADINGS = FontFace(emphasis="BOLD", fill_color=(221, 227, 236))
RESPONSE_COLOURS = {
    "positive": (46, 125, 50),
    "neutral": (158, 158, 158),
    "negative": (198, 40, 40),
}


def printable(text: str) -> str:
    """``text`` with only characters the core fonts can draw (see the module's docstring)."""
    if _encodable(text):
        return text
    out = []
    joined = False
    for char in text:
        if _encodable(char):
            out.append(char)
        elif joined:
            pass  # the rest of a joined emoji sequence: one "?" stands for all of it
        elif char == ZWJ or unicodedata.category(char) in ("Mn", "Me", "Cf", "Cc"):
            pass  # marks, joiners, variation selectors
        else:
            plain = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            out.append(plain if plain and _encodable(plain) else "?")
        joined = char == ZWJ
    return "".join(out)


def _encodable(text: str) -> bool:
    try:
        text.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True


# -- formatting ----------------------------------------------------------------------------------


def day(value: dt.date) -> str:
    return formats.date_format(value, "j F Y")


def short_day(value: dt.date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def time(value: dt.datetime | None) -> str:
    return formats.time_format(timezone.localtime(value), "TIME_FORMAT") if value else ""


def moment(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def stamp(value: dt.datetime) -> str:
    """24 Januari 2024, 07.00 WITA."""
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def number(value: float, decimals: int = 0) -> str:
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True)


def signed(value: float, decimals: int = 0) -> str:
    text = number(abs(value), decimals)
    return f"+{text}" if value > 0 else (f"-{text}" if value < 0 else text)


def period(start: dt.date, end: dt.date) -> str:
    return day(start) if start == end else f"{day(start)} - {day(end)}"


# -- the document --------------------------------------------------------------------------------


class Document(FPDF):
    def __init__(self, *, footer: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = ENCODING
        self.footer_text = footer
        self.set_margins(18, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages()
        self.set_text_color(*INK)

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(printable(text))

    def footer(self) -> None:
        self.set_y(-13)
        self.set_draw_color(180)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_font(FONT, "", 7)
        self.set_text_color(*MUTED)
        pages = _("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"}
        room = self.epw - self.get_string_width(pages) - 6
        self.cell(room, 5, self.fit(self.footer_text, room))
        self.cell(self.epw - room, 5, pages, align="R")
        self.set_text_color(*INK)

    def fit(self, text: str, width: float) -> str:
        """``text`` cut with an ellipsis to fit ``width`` in the current font."""
        text = printable(text)
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "...") > width:
            text = text[:-1]
        return text.rstrip() + "..."

    # -- blocks --

    def text_line(self, text: str, *, size: float = 9, style: str = "", h: float = 5, **kw):
        self.set_font(FONT, style, size)
        self.multi_cell(0, h, text, new_x="LMARGIN", new_y="NEXT", **kw)

    def section(self, title: str, need: float = 30) -> None:
        """A heading, on a new page when the heading and a little of what follows do not fit."""
        if self.will_page_break(need):
            self.add_page()
        self.ln(3)
        self.set_font(FONT, "B", 10.5)
        self.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*BAR)
        self.set_line_width(0.3)
        self.line(self.l_margin, self.get_y(), self.l_margin + self.epw, self.get_y())
        self.ln(1.5)

    def note(self, text: str) -> None:
        self.set_text_color(*MUTED)
        self.text_line(text, size=7.5, style="I", h=4)
        self.set_text_color(*INK)

    def table_of(
        self,
        columns: Sequence[tuple[str, float]],
        rows: Sequence[Sequence[str]],
        *,
        empty: str,
        size: float = 7.5,
    ) -> None:
        """A table whose heading row is shaded and repeats on every page it runs over."""
        if not rows:
            self.note(empty)
            return
        self.set_font(FONT, "", size)
        self.set_fill_color(255)  # a table takes the current fill for its cells
        with self.table(
            col_widths=[width for _label, width in columns],
            width=self.epw,
            headings_style=HEADINGS,
            line_height=size * 0.48,
            text_align="LEFT",
            v_align="TOP",
            padding=(0.8, 1),
            repeat_headings=1,
        ) as table:
            table.row([label for label, _width in columns])
            for row in rows:
                table.row([str(cell) for cell in row])
        self.ln(1)

    def capped(self, table: Table) -> None:
        if table.more:
            self.note(
                _("... and %(more)d more, not listed here (a report lists at most %(cap)d).")
                % {"more": table.more, "cap": table.cap}
            )

    # -- charts --

    def bars(self, series: Sequence[tuple[str, int]], *, height: float = 38) -> None:
        """Vertical bars with the value above each and the label below (some skipped if dense)."""
        if self.will_page_break(height + 12):
            self.add_page()
        x0, top = self.l_margin, self.get_y() + 4
        width = self.epw
        base = top + height
        highest = max((value for _label, value in series), default=0) or 1
        slot = width / max(len(series), 1)
        bar = slot * 0.7
        every = max(1, math.ceil(9 / slot))  # a label needs about 9 mm
        self.set_draw_color(150)
        self.set_line_width(0.2)
        self.line(x0, base, x0 + width, base)
        self.set_fill_color(*BAR)
        self.set_font(FONT, "", 6.5)
        for i, (label, value) in enumerate(series):
            left = x0 + i * slot + (slot - bar) / 2
            tall = height * value / highest
            if value:
                self.rect(left, base - tall, bar, tall, style="F")
            if slot >= 4 and (value or len(series) <= 31):
                self.set_xy(x0 + i * slot, base - tall - 3.5)
                self.cell(slot, 3.5, number(value), align="C")
            if i % every == 0:
                self.set_xy(x0 + i * slot - slot * (every - 1) / 2, base + 0.5)
                self.cell(slot * every, 3.5, label, align="C")
        self.set_xy(self.l_margin, base + 5)

    def mix(self, counts: dict[str, int], labels: dict[str, str]) -> None:
        """One stacked bar of the community's responses, with a legend."""
        total = sum(counts.values())
        if not total:
            self.note(_("No community response was recorded."))
            return
        if self.will_page_break(14):
            self.add_page()
        x, y = self.l_margin, self.get_y() + 1
        for key, value in counts.items():
            if value:
                w = self.epw * value / total
                self.set_fill_color(*RESPONSE_COLOURS.get(key, MUTED))
                self.rect(x, y, w, 6, style="F")
                x += w
        self.set_xy(self.l_margin, y + 7)
        self.set_font(FONT, "", 8)
        for key, value in counts.items():
            self.set_fill_color(*RESPONSE_COLOURS.get(key, MUTED))
            self.rect(self.get_x(), self.get_y() + 1.2, 2.6, 2.6, style="F")
            self.set_x(self.get_x() + 3.5)
            share = number(100 * value / total, 1)
            self.cell(50, 5, f"{labels.get(key, key)}: {number(value)} ({share}%)")
        self.ln(7)

    def hbars(self, series: Sequence[tuple[str, int]]) -> None:
        """Horizontal bars, a label on the left and the value at the end of each bar."""
        highest = max((value for _label, value in series), default=0) or 1
        label_w, room = 62, self.epw - 62 - 12
        self.set_font(FONT, "", 8)
        self.set_fill_color(*BAR)
        for label, value in series:
            if self.will_page_break(6):
                self.add_page()
            y = self.get_y()
            self.cell(label_w, 5, label)
            w = max(room * value / highest, 0.4)
            self.rect(self.l_margin + label_w, y + 1, w, 3, style="F")
            self.set_xy(self.l_margin + label_w + w + 1.5, y)
            self.cell(12, 5, number(value), new_x="LMARGIN", new_y="NEXT")


# -- rendering -----------------------------------------------------------------------------------


def render_pdf(report: Report, *, compress: bool = True) -> bytes:
    daily = isinstance(report, DailyReport)
    title = _("DAILY REPORT") if daily else _("ANALYSIS AND EVALUATION")
    when = day(report.end) if daily else period(report.start, report.end)
    pdf = Document(
        footer=_("%(title)s %(unit)s, %(when)s. Generated %(time)s by Patroli.")
        % {
            "title": title.capitalize(),
            "unit": report.unit_name,
            "when": when,
            "time": stamp(report.generated_at),
        }
    )
    pdf.set_compression(compress)
    pdf.set_title(printable(f"{title} {report.unit_name} {when}"))
    pdf.set_author("Patroli")
    pdf.set_creator("Patroli")
    pdf.set_lang(get_language() or "id")
    pdf.set_creation_date(report.generated_at)
    pdf.add_page()
    _letterhead(pdf, report)
    _title(pdf, title, report, when)
    if daily:
        _daily(pdf, report)
    else:
        _anev(pdf, report)
    _tables(pdf, report, daily=daily)
    _notes(pdf, report, daily=daily)
    _signature(pdf, report)
    return bytes(pdf.output())


def _letterhead(pdf: Document, report: Report) -> None:
    block = 100
    pdf.set_font(FONT, "B", 9.5)
    for line in report.letterhead:
        pdf.cell(block, 4.6, line, align="C", new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 1.5
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, y, pdf.l_margin + pdf.epw, y)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, y + 1.1, pdf.l_margin + pdf.epw, y + 1.1)
    pdf.set_y(y + 6)


def _title(pdf: Document, title: str, report: Report, when: str) -> None:
    pdf.set_font(FONT, "BU", 14)
    pdf.cell(0, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 5.5, f"{report.unit_name}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9.5)
    pdf.cell(0, 5, when, align="C", new_x="LMARGIN", new_y="NEXT")
    if report.village_name:
        pdf.cell(
            0,
            5,
            _("Only village or district: %(village)s") % {"village": report.village_name},
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.set_font(FONT, "", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(
        0,
        4.5,
        _("Generated %(time)s") % {"time": stamp(report.generated_at)},
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(*INK)
    pdf.ln(2)


def _stage_text(report: Report) -> str:
    stage = report.stage
    if stage is None:
        return _("none")
    text = f"{stage.name} ({stage.election}), {period(stage.starts_on, stage.ends_on)}"
    if stage.days_to_voting:
        text += "; " + _("%(days)d days to voting day") % {"days": stage.days_to_voting}
    elif stage.days_to_voting == 0:
        text += "; " + _("voting day")
    return text


def _incidents_text(report: Report) -> str:
    figures = report.figures
    parts = [
        f"{label} {number(figures.incidents.get(value, 0))}"
        for value, label in Incident.Severity.choices
        if figures.incidents.get(value)
    ]
    total = number(figures.incidents_total)
    return f"{total} ({', '.join(parts)})" if parts else total


def _daily(pdf: Document, report: DailyReport) -> None:
    f = report.figures
    pdf.section(_("Summary"))
    covered = _("%(covered)s of %(total)s sites (%(pct)s%%)") % {
        "covered": number(f.sites_covered),
        "total": number(f.sites_total),
        "pct": number(f.coverage_pct, 1),
    }
    pdf.table_of(
        [(_("Figure"), 2), (_("Value"), 3)],
        [
            (_("Visits on the day"), number(f.visits_day)),
            (
                _("Visits in the last %(days)d days") % {"days": COVERAGE_DAYS},
                number(f.visits_week),
            ),
            (_("Attendees of dialogues"), number(f.attendees_period)),
            (_("Sites visited in the last %(days)d days") % {"days": COVERAGE_DAYS}, covered),
            (_("New concerns"), number(f.concerns_new)),
            (_("Concerns resolved"), number(f.concerns_resolved)),
            (_("Open concerns at the end of the day"), number(f.concerns_open)),
            (_("Overdue concerns"), number(f.concerns_overdue)),
            (_("Incidents"), _incidents_text(report)),
            (_("Election stage"), _stage_text(report)),
        ],
        empty="",
        size=8.5,
    )
    pdf.section(_("Visits per day, last %(days)d days") % {"days": COVERAGE_DAYS}, need=55)
    pdf.bars([(short_day(d)[:5], n) for d, n in report.week])
    pdf.section(_("Community response"), need=25)
    pdf.mix(report.response_mix, _response_labels())

    pdf.section(_("Visits"), need=70)  # a visit row with its participants is tall
    rows = []
    for v in report.visits.rows:
        hours = time(v.started_at) + (f"-{time(v.ended_at)}" if v.ended_at else "")
        site = f"{v.site}\n{v.village}"
        if report.unit is None or v.unit != report.unit.name:
            site += f"\n{v.unit}"
        if v.far_from_site:
            site += "\n" + _("(check-in far from the site)")
        people = list(v.officers)
        if v.recorded_by and v.recorded_by not in v.officers:
            people.append(_("recorded by %(name)s") % {"name": v.recorded_by})
        met = "" if v.attendees is None else _("%(n)d present") % {"n": v.attendees}
        if v.participants:
            met += "\n" + "\n".join(v.participants)
        rows.append(
            (
                f"{hours}\n{v.kind}",
                site,
                "\n".join(people),
                met.strip(),
                v.response,
                "\n".join(f"- {a}" for a in v.appeals),
                "\n".join(v.concerns),
            )
        )
    pdf.table_of(
        [
            (_("Time"), 15),
            (_("Site"), 30),
            (_("Officers"), 24),
            (_("Present"), 27),
            (_("Response"), 15),
            (_("Appeals given"), 31),
            (_("Concerns raised"), 22),
        ],
        rows,
        empty=_("No visits were recorded on this day."),
    )
    pdf.capped(report.visits)


def _anev(pdf: Document, report: AnevReport) -> None:
    pdf.section(_("Figures compared with the previous period"))
    pdf.note(
        _("Previous period: %(period)s (%(days)d days).")
        % {
            "period": period(report.previous_start, report.previous_end),
            "days": report.scope.days,
        }
    )
    rows = []
    for c in report.changes:
        if c.unit:  # a percentage changes by points, not by a percentage of itself
            change = _("%(change)s percentage points") % {"change": signed(c.change, 1)}
            decimals = 1
        else:
            decimals, change = 0, signed(c.change)
            if c.change_pct is not None:
                change += f" ({signed(c.change_pct, 1)}%)"
        rows.append(
            (
                c.label,
                number(c.current, decimals) + c.unit,
                number(c.previous, decimals) + c.unit,
                change,
            )
        )
    pdf.table_of(
        [
            (_("Figure"), 4),
            (_("This period"), 2),
            (_("Previous period"), 2),
            (pgettext("difference", "Change"), 2),
        ],
        rows,
        empty="",
        size=8.5,
    )
    f = report.figures
    pdf.note(
        _(
            "At the end of the period: %(open)s open concerns, %(overdue)s overdue; "
            "%(sites)s sites to patrol. Election stage: %(stage)s."
        )
        % {
            "open": number(f.concerns_open),
            "overdue": number(f.concerns_overdue),
            "sites": number(f.sites_total),
            "stage": _stage_text(report),
        }
    )

    pdf.section(_("Visits per day"), need=55)
    pdf.bars([(short_day(d)[:5], n) for d, n, _mix in report.per_day])
    pdf.section(_("Community response"), need=25)
    pdf.mix(report.response_mix, _response_labels())

    pdf.section(_("Concerns by category"))
    if report.by_category:
        pdf.hbars(report.by_category)
    else:
        pdf.note(_("No new concerns in the period."))
    if report.by_status:
        pdf.ln(1)
        pdf.note(
            _("By status today: %(list)s.")
            % {"list": ", ".join(f"{label} {number(n)}" for _v, label, n in report.by_status)}
        )

    pdf.section(_("Incidents by kind"))
    if report.by_incident_kind:
        pdf.hbars(report.by_incident_kind)
    else:
        pdf.note(_("No incidents in the period."))


def _concern_rows(rows: list[ConcernRow], *, when: str, scope_unit: bool) -> list[tuple]:
    result = []
    for c in rows:
        received = time(c.created_at) if when == "time" else moment(c.created_at)
        place = c.village + (f"\n{c.site}" if c.site else "")
        if scope_unit:
            place += f"\n{c.unit}"
        result.append((c.code, received, c.category, c.status, place, moment(c.due_at)))
    return result


def _tables(pdf: Document, report: Report, *, daily: bool) -> None:
    many_units = report.unit is None or report.unit.level != "polsek"
    concern_columns = [
        (_("Tracking code"), 17),
        (_("Received"), 17),
        (_("Category"), 28),
        (_("Status"), 15),
        (_("Village / site"), 30),
        (_("Due"), 17),
    ]
    pdf.section(_("New concerns"))
    pdf.table_of(
        concern_columns,
        _concern_rows(
            report.new_concerns.rows, when="time" if daily else "moment", scope_unit=many_units
        ),
        empty=_("No new concerns."),
    )
    pdf.capped(report.new_concerns)

    pdf.section(_("Incidents"))
    pdf.table_of(
        [
            (_("Time"), 15),
            (_("Kind"), 22),
            (_("Severity"), 14),
            (_("Status"), 14),
            (_("Place"), 25),
            (_("Description"), 50),
        ],
        [
            (
                time(i.occurred_at) if daily else moment(i.occurred_at),
                i.kind,
                i.severity_label,
                i.status,
                "\n".join(p for p in (i.village, i.site, i.unit if many_units else "") if p),
                i.description,
            )
            for i in report.incidents.rows
        ],
        empty=_("No incidents."),
    )
    pdf.capped(report.incidents)

    pdf.section(_("Overdue concerns"))
    pdf.table_of(
        concern_columns,
        _concern_rows(report.overdue.rows, when="moment", scope_unit=many_units),
        empty=_("No overdue concerns."),
    )
    pdf.capped(report.overdue)

    pdf.section(_("Sites left alone longest"))
    pdf.table_of(
        [(_("Site"), 35), (_("Kind"), 25), (_("Village"), 22), (_("Last visit"), 18)]
        + ([(_("Unit"), 20)] if many_units else []),
        [
            (
                s.name,
                s.kind,
                s.village,
                _("never")
                if s.last_visit_at is None
                else _("%(date)s (%(days)d days ago)")
                % {"date": short_day(timezone.localtime(s.last_visit_at)), "days": s.days_since},
            )
            + ((s.unit,) if many_units else ())
            for s in report.left_alone.rows
        ],
        empty=_("Every site was visited in the last %(days)d days.") % {"days": COVERAGE_DAYS},
    )
    pdf.capped(report.left_alone)

    if report.riskiest:
        pdf.section(_("Highest-risk sites"))
        pdf.table_of(
            [(_("Site"), 40), (_("Village"), 25), (_("Risk score"), 12), (_("Level"), 18)],
            [(r.name, r.village, number(r.score), r.level) for r in report.riskiest],
            empty="",
        )


def _notes(pdf: Document, report: Report, *, daily: bool) -> None:
    pdf.ln(2)
    coverage = (
        _("Coverage counts the sites visited at least once in the %(days)d days up to the day.")
        % {"days": COVERAGE_DAYS}
        if daily
        else _("Coverage counts the sites visited at least once in each period.")
    )
    pdf.note(
        " ".join(
            (
                coverage,
                _(
                    "Each table lists at most %(rows)d rows and the sites left alone at most "
                    "%(sites)d; the exports hold every record."
                )
                % {"rows": MAX_ROWS, "sites": LEFT_ALONE_ROWS},
                _(
                    "Statuses are as they stand today. Reporters' names and contacts are never "
                    "part of a report."
                ),
            )
        )
    )


def _signature(pdf: Document, report: Report) -> None:
    if pdf.will_page_break(45):
        pdf.add_page()
    pdf.ln(6)
    left = pdf.l_margin + pdf.epw * 0.55
    width = pdf.epw * 0.45
    officer = report.signatory
    lines = [
        ("", 9, day(timezone.localdate(report.generated_at))),
        ("B", 9, report.signatory_title.upper()),
    ]
    for style, size, text in lines:
        pdf.set_x(left)
        pdf.set_font(FONT, style, size)
        pdf.cell(width, 5, text, align="C", new_x="LEFT", new_y="NEXT")
    pdf.ln(18)
    name = (officer.get_full_name().strip() or officer.username) if officer else ""
    pdf.set_x(left)
    pdf.set_font(FONT, "BU" if name else "", 9.5)
    pdf.cell(width, 5, name.upper() if name else "(" + "." * 40 + ")", align="C")
    pdf.ln(5)
    if officer is not None and (officer.rank or officer.nrp):
        rank = " ".join(p for p in (officer.rank, f"NRP {officer.nrp}" if officer.nrp else "") if p)
        pdf.set_x(left)
        pdf.set_font(FONT, "", 9)
        pdf.cell(width, 5, rank, align="C")
        pdf.ln(5)


def _response_labels() -> dict[str, str]:
    return {value: str(label).capitalize() for value, label in Dialogue.Response.choices}
