"""The daily report and the Anev as a workbook: a summary sheet, then one sheet per table.

Dates and times are real spreadsheet values, naive and in local time (a spreadsheet knows no time
zones), so that they sort and filter. A text that starts with "=" stays text, never a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from patroli.elections.models import Incident
from patroli.patrols.models import Dialogue

from .figures import COVERAGE_DAYS
from .reports import AnevReport, ConcernRow, DailyReport, Report, Table

DATE_FORMAT = "dd-mm-yyyy"
DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
HEADER_FILL = PatternFill("solid", fgColor="DDE3EC")
MAX_WIDTH = 60


def local(value: dt.datetime | None) -> dt.datetime | None:
    """An aware moment as the naive local time a spreadsheet shows."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def render_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = _sheet_title(_("Summary"))
    if isinstance(report, DailyReport):
        _daily_summary(summary, report)
        _sheet(
            workbook,
            _("Visits"),
            [
                _("Start"),
                _("End"),
                _("Kind"),
                _("Site"),
                _("Village"),
                _("Unit"),
                _("Officers"),
                _("Recorded by"),
                _("Attendees"),
                _("Key participants"),
                _("Response"),
                _("Appeals given"),
                _("Concerns raised"),
                _("Far from the site"),
            ],
            [
                [
                    local(v.started_at),
                    local(v.ended_at),
                    v.kind,
                    v.site,
                    v.village,
                    v.unit,
                    "; ".join(v.officers),
                    v.recorded_by,
                    v.attendees,
                    "; ".join(v.participants),
                    v.response,
                    "; ".join(v.appeals),
                    "; ".join(v.concerns),
                    _("yes") if v.far_from_site else "",
                ]
                for v in report.visits.rows
            ],
            report.visits,
        )
    else:
        _anev_summary(summary, report)
        _sheet(
            workbook,
            _("Per day"),
            [_("Date"), _("Visits"), *_response_labels().values()],
            [
                [d, n, *(mix.get(key, 0) for key in _response_labels())]
                for d, n, mix in report.per_day
            ],
        )
        _sheet(
            workbook,
            _("Concerns by category"),
            [_("Category"), _("New concerns")],
            [list(row) for row in report.by_category],
        )
        _sheet(
            workbook,
            _("Incidents by kind"),
            [_("Kind"), _("Incidents")],
            [list(row) for row in report.by_incident_kind],
        )
    concern_head = [
        _("Tracking code"),
        _("Received"),
        _("Category"),
        _("Status"),
        _("Source"),
        _("Village"),
        _("Site"),
        _("Unit"),
        _("Due"),
    ]
    _sheet(workbook, _("New concerns"), concern_head, _concerns(report.new_concerns.rows))
    _sheet(
        workbook,
        _("Incidents"),
        [
            _("Occurred"),
            _("Kind"),
            _("Severity"),
            _("Status"),
            _("Village"),
            _("Site"),
            _("Unit"),
            _("Description"),
        ],
        [
            [
                local(i.occurred_at),
                i.kind,
                i.severity_label,
                i.status,
                i.village,
                i.site,
                i.unit,
                i.description,
            ]
            for i in report.incidents.rows
        ],
        report.incidents,
    )
    _sheet(
        workbook,
        _("Overdue concerns"),
        concern_head,
        _concerns(report.overdue.rows),
        report.overdue,
    )
    _sheet(
        workbook,
        _("Sites left alone"),
        [_("Site"), _("Kind"), _("Village"), _("Unit"), _("Last visit"), _("Days since")],
        [
            [s.name, s.kind, s.village, s.unit, local(s.last_visit_at), s.days_since]
            for s in report.left_alone.rows
        ],
        report.left_alone,
    )
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _concerns(rows: list[ConcernRow]) -> list[list]:
    return [
        [
            c.code,
            local(c.created_at),
            c.category,
            c.status,
            c.source,
            c.village,
            c.site,
            c.unit,
            local(c.due_at),
        ]
        for c in rows
    ]


def _head(report: Report) -> list[list]:
    rows = [
        [_("Unit"), report.unit_name],
        [_("Unit code"), report.code],
    ]
    if report.village_name:
        rows.append([_("Only village or district"), report.village_name])
    return rows


def _daily_summary(sheet, report: DailyReport) -> None:
    f = report.figures
    rows = [
        *_head(report),
        [_("Date"), report.day],
        [_("Generated"), local(report.generated_at)],
        [_("Visits on the day"), f.visits_day],
        [_("Visits in the last %(days)d days") % {"days": COVERAGE_DAYS}, f.visits_week],
        [_("Attendees of dialogues"), f.attendees_period],
        [_("Sites to patrol"), f.sites_total],
        [_("Sites visited in the last %(days)d days") % {"days": COVERAGE_DAYS}, f.sites_covered],
        [_("Coverage (%)"), f.coverage_pct],
        [_("New concerns"), f.concerns_new],
        [_("Concerns resolved"), f.concerns_resolved],
        [_("Open concerns at the end of the day"), f.concerns_open],
        [_("Overdue concerns"), f.concerns_overdue],
        [_("Incidents"), f.incidents_total],
        *_incident_rows(report),
        *_response_rows(report),
        [_("Election stage"), _stage(report)],
    ]
    _fill(sheet, [_("Figure"), _("Value")], rows)


def _anev_summary(sheet, report: AnevReport) -> None:
    f = report.figures
    rows = [
        *_head(report),
        [_("From"), report.start],
        [_("To"), report.end],
        [_("Previous period from"), report.previous_start],
        [_("Previous period to"), report.previous_end],
        [_("Generated"), local(report.generated_at)],
        *(
            [
                c.label + (" (%)" if c.unit else ""),
                c.current,
                c.previous,
                c.change,
                c.change_pct,
            ]
            for c in report.changes
        ),
        [_("Sites to patrol"), f.sites_total],
        [_("Open concerns at the end of the period"), f.concerns_open],
        [_("Overdue concerns"), f.concerns_overdue],
        *_incident_rows(report),
        *_response_rows(report),
        *(
            [_("Concerns with status: %(status)s") % {"status": label}, n]
            for _v, label, n in report.by_status
        ),
        [_("Election stage"), _stage(report)],
    ]
    _fill(
        sheet,
        [
            _("Figure"),
            _("This period"),
            _("Previous period"),
            pgettext("difference", "Change"),
            _("Change (%)"),
        ],
        rows,
    )


def _incident_rows(report: Report) -> list[list]:
    return [
        [_("Incidents: %(severity)s") % {"severity": label}, report.figures.incidents.get(value, 0)]
        for value, label in Incident.Severity.choices
    ]


def _response_rows(report: Report) -> list[list]:
    return [
        [
            _("Community response: %(response)s") % {"response": label},
            report.response_mix.get(key, 0),
        ]
        for key, label in _response_labels().items()
    ]


def _response_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Dialogue.Response.choices}


def _stage(report: Report) -> str:
    stage = report.stage
    if stage is None:
        return ""
    return f"{stage.name} ({stage.election})"


def _clean(value):
    # Control characters cannot be stored in the file's XML (openpyxl refuses the whole cell).
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _sheet_title(title: str) -> str:
    # A sheet title holds at most 31 characters and none of []:*?/\
    return "".join(c for c in title if c not in "[]:*?/\\")[:31]


def _sheet(
    workbook: Workbook, title: str, head: list[str], rows: list[list], table: Table | None = None
) -> None:
    sheet = workbook.create_sheet(_sheet_title(title))
    _fill(sheet, head, rows)
    if table is not None and table.more:
        sheet.append(
            [
                _("... and %(more)d more, not listed here (a report lists at most %(cap)d).")
                % {"more": table.more, "cap": table.cap}
            ]
        )
        sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True)


def _fill(sheet, head: Sequence[str], rows: Sequence[Sequence]) -> None:
    """The header row (bold, shaded, frozen), the rows, and widths that fit the content."""
    sheet.append(list(head))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top")
    widths = [len(str(h)) for h in head]
    for values in rows:
        values = [_clean(v) for v in values]
        sheet.append(values)
        row = sheet.max_row
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=col)
            if isinstance(value, dt.datetime):
                cell.number_format = DATETIME_FORMAT
                length = 16
            elif isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
                length = 10
            else:
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text, never a formula
                length = len(str(value)) if value is not None else 0
            while len(widths) < col:
                widths.append(0)
            widths[col - 1] = max(widths[col - 1], length)
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"
