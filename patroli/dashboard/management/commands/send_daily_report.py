"""E-mail each unit's daily report (PDF and XLSX) to its commanders. Run from cron each morning.

Each unit's report holds what its commanders see: the unit's whole subtree. The e-mail goes to
the unit's active commanders with an e-mail address and to the unit's own address, one message
per unit. Nothing records what was sent: running the command twice sends twice.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from patroli.dashboard.report_pdf import day, number, render_pdf
from patroli.dashboard.report_xlsx import render_xlsx
from patroli.dashboard.reports import DailyReport, daily_report
from patroli.dashboard.scope import Scope
from patroli.units.models import Officer, Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def commanders(unit: Unit):
    return Officer.objects.filter(unit=unit, role=Officer.Role.COMMANDER, is_active=True).order_by(
        "pk"
    )


def recipients(unit: Unit) -> list[str]:
    addresses = [*commanders(unit).exclude(email="").values_list("email", flat=True), unit.email]
    return list(dict.fromkeys(a.strip() for a in addresses if a and a.strip()))


def units_with_recipients():
    mailed = Officer.objects.filter(
        unit=OuterRef("pk"), role=Officer.Role.COMMANDER, is_active=True
    ).exclude(email="")
    return Unit.objects.filter(Q(Exists(mailed)) | ~Q(email="")).order_by("path")


def reader(unit: Unit) -> Officer:
    """Whose eyes the report is built with: a commander of the unit.

    Every member of a unit sees the same subtree, so without a commander an unsaved stand-in of
    the unit sees exactly what a commander would.
    """
    return commanders(unit).first() or Officer(
        username=f"report:{unit.code}", unit=unit, role=Officer.Role.COMMANDER, is_active=True
    )


def body(report: DailyReport) -> str:
    f = report.figures
    lines = [
        _("Daily report of %(unit)s for %(date)s.")
        % {"unit": report.unit_name, "date": day(report.day)},
        "",
        _("Visits: %(n)s (attendees: %(people)s)")
        % {"n": number(f.visits_day), "people": number(f.attendees_period)},
        _("Sites visited in the last 7 days: %(covered)s of %(total)s (%(pct)s%%)")
        % {
            "covered": number(f.sites_covered),
            "total": number(f.sites_total),
            "pct": number(f.coverage_pct, 1),
        },
        _("New concerns: %(new)s; open: %(open)s; overdue: %(overdue)s")
        % {
            "new": number(f.concerns_new),
            "open": number(f.concerns_open),
            "overdue": number(f.concerns_overdue),
        },
        _("Incidents: %(n)s") % {"n": number(f.incidents_total)},
    ]
    if report.stage:
        lines.append(_("Election stage: %(stage)s") % {"stage": report.stage.name})
    lines += [
        "",
        _("The full report is attached as PDF and as a spreadsheet (XLSX)."),
        "",
        "-- ",
        _("Patroli, sent automatically. %(url)s") % {"url": settings.PATROLI_BASE_URL},
    ]
    return "\n".join(lines) + "\n"


def message(report: DailyReport, to: list[str]) -> EmailMessage:
    email = EmailMessage(
        subject=_("Daily report %(unit)s, %(date)s")
        % {"unit": report.unit_name, "date": day(report.day)},
        body=body(report),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    email.attach(report.filename("pdf"), render_pdf(report), "application/pdf")
    email.attach(report.filename("xlsx"), render_xlsx(report), XLSX)
    return email


class Command(BaseCommand):
    help = (
        "E-mail each unit's daily report (PDF and XLSX) to its active commanders and the unit's "
        "address. Default: yesterday, every unit with someone to send to."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            help="The day to report, YYYY-MM-DD (default: yesterday, local time).",
        )
        parser.add_argument(
            "--unit",
            dest="units",
            action="extend",
            nargs="+",
            metavar="CODE",
            help="Only these units (codes), each even without recipients.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Build the reports and say who would receive them, but send nothing.",
        )

    def handle(self, *args, date=None, units=None, dry_run=False, **options):
        date = date or timezone.localdate() - dt.timedelta(days=1)
        if units:
            found = {u.code: u for u in Unit.objects.filter(code__in=units)}
            if unknown := [code for code in units if code not in found]:
                raise CommandError(f"Unknown unit code: {', '.join(unknown)}")
            chosen = [found[code] for code in dict.fromkeys(units)]
        else:
            chosen = list(units_with_recipients())
        failed = []
        with translation.override(settings.LANGUAGE_CODE):
            for unit in chosen:
                to = recipients(unit)
                if not to:
                    self.stdout.write(f"{unit.code}: skipped, nobody to send to")
                    continue
                scope = Scope(user=reader(unit), unit=unit, start=date, end=date)
                report = daily_report(scope)
                f = report.figures
                figures = f"{f.visits_day} visits, {f.concerns_new} new concerns"
                if dry_run:
                    self.stdout.write(f"{unit.code}: would send to {', '.join(to)} ({figures})")
                    continue
                try:
                    message(report, to).send()
                except Exception as exc:  # one unit's mail server trouble must not stop the rest
                    failed.append(unit.code)
                    self.stderr.write(f"{unit.code}: not sent: {exc}")
                    continue
                self.stdout.write(f"{unit.code}: sent to {', '.join(to)} ({figures})")
        if failed:
            raise CommandError(f"Not sent for {len(failed)} unit(s): {', '.join(failed)}")
