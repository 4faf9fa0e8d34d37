from datetime import date

from django.core.management.base import BaseCommand, CommandError

from patroli.core.generate import (
    BATCH,
    DAYS,
    END_DATE,
    NATIONAL,
    GenerateError,
    Options,
    Progress,
    generate_country,
)
from patroli.regions.importer import DEFAULT_FILE


def count(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Fill an empty database with a synthetic country for load tests: units, officers, "
        "sites, visits, concerns, incidents (deterministic for a seed; see docs/admin-guide.md)."
    )

    def add_arguments(self, parser):
        national = "the country's, scaled to the villages selected"
        parser.add_argument(
            "--regions-prefix",
            default="",
            metavar="CODE",
            help="only the regions under this Kemendagri code, e.g. 64 or 64.09 (default: all)",
        )
        parser.add_argument("--regions-file", default=str(DEFAULT_FILE), metavar="PATH")
        parser.add_argument(
            "--tps",
            type=count,
            metavar="N",
            help=f"polling stations (default: {NATIONAL['tps']:,}, {national})",
        )
        parser.add_argument(
            "--visits", type=count, metavar="N", help=f"default: {NATIONAL['visits']:,}, {national}"
        )
        parser.add_argument(
            "--concerns",
            type=count,
            metavar="N",
            help=f"default: {NATIONAL['concerns']:,}, {national}",
        )
        parser.add_argument(
            "--incidents",
            type=count,
            metavar="N",
            help=f"default: {NATIONAL['incidents']:,}, {national}",
        )
        parser.add_argument(
            "--days", type=count, metavar="N", default=DAYS, help=f"default: {DAYS}"
        )
        parser.add_argument(
            "--end-date",
            type=date.fromisoformat,
            default=END_DATE,
            metavar="YYYY-MM-DD",
            help=f"the last day of the period (default: {END_DATE}, the demo's day)",
        )
        parser.add_argument(
            "--officers-per-polsek", type=count, metavar="N", default=3, help="default: 3"
        )
        parser.add_argument("--seed", type=int, default=1, metavar="N", help="default: 1")
        parser.add_argument(
            "--batch-size",
            type=count,
            metavar="N",
            default=BATCH,
            help=f"rows per batch (default: {BATCH:,})",
        )
        parser.add_argument(
            "--quiet", action="store_true", help="no progress bar, only a line per stage"
        )

    def handle(self, *args, quiet, verbosity, **opts):
        options = Options(
            regions_prefix=opts["regions_prefix"],
            regions_file=opts["regions_file"],
            tps=opts["tps"],
            visits=opts["visits"],
            concerns=opts["concerns"],
            incidents=opts["incidents"],
            days=opts["days"],
            end_date=opts["end_date"],
            officers_per_polsek=opts["officers_per_polsek"],
            seed=opts["seed"],
            batch_size=opts["batch_size"],
        )
        self.stderr.style_func = None  # the bar is not an error
        live = not quiet and verbosity > 0 and self.stderr.isatty()
        progress = Progress(
            bar=self._bar if live else None,
            line=self.stdout.write if verbosity > 0 else None,
            every=None if quiet else 60.0,
        )
        try:
            summary = generate_country(options=options, progress=progress)
        except GenerateError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity == 0:
            return
        self.stdout.write(f"\n{'table':<28} {'rows':>12} {'write s':>9} {'rows/s':>10}")
        for name, stats in summary.tables.items():
            rate = stats.rows / stats.seconds if stats.seconds else 0
            self.stdout.write(f"{name:<28} {stats.rows:>12,} {stats.seconds:>9.1f} {rate:>10,.0f}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated in {summary.seconds:.1f} s; peak memory (RSS) "
                f"{summary.peak_rss_mb:,.0f} MB."
            )
        )

    def _bar(self, text: str) -> None:
        self.stderr.write(text, ending="")
        self.stderr.flush()
