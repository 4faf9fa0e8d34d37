"""Recording visits: our API against raw driver inserts of the same rows, side by side.

    .venv/bin/python benchmarks/visits_api.py [-n 500] [--database-url URL]

Without --database-url it uses a fresh SQLite file (WAL, like production). With a PostgreSQL URL,
point it at a scratch database: it migrates it and adds rows.

Each API request goes through the whole stack (middleware, bearer token, validation, access gate,
one transaction writing the visit, its officers, dialogue, participants, appeals, and the response
read back). The raw driver writes the same rows for the same number of visits with executemany:
once in a single transaction (the physical limit of the database) and once committing per visit
(what a durable API must do at the least).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=500, help="visits per method")
    parser.add_argument("--database-url", default="")
    return parser.parse_args()


def setup_django(database_url: str) -> None:
    os.environ.setdefault("SECRET_KEY", "benchmark")
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "patroli.settings"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="patroli-static-"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_world():
    from patroli.regions.models import Region
    from patroli.sites.models import Site
    from patroli.units.models import ApiToken, Officer, Unit

    for code, parent, level, kind, name in [
        ("64", None, 1, "provinsi", "Kalimantan Timur"),
        ("64.09", "64", 2, "kabupaten", "Kabupaten Penajam Paser Utara"),
        ("64.09.04", "64.09", 3, "kecamatan", "Sepaku"),
        ("64.09.04.2004", "64.09.04", 4, "desa", "Bumi Harapan"),
    ]:
        Region.objects.get_or_create(
            code=code,
            defaults={
                "parent_id": parent,
                "level": level,
                "kind": kind,
                "name": name,
                "search_name": name.lower(),
            },
        )
    unit, _ = Unit.objects.get_or_create(
        code="bench-polsek", defaults={"name": "Polsek Bench", "level": "polsek"}
    )
    officer, _ = Officer.objects.get_or_create(
        username="bench.officer", defaults={"unit": unit, "role": "officer"}
    )
    site, _ = Site.objects.get_or_create(
        village_id="64.09.04.2004",
        kind="pps_office",
        name="Kantor PPS Bench",
        defaults={"unit": unit, "lat": -0.923927, "lng": 116.583091},
    )
    _, token = ApiToken.issue(officer, name="bench")
    return officer, site, token


def visit_body(site, i: int) -> dict:
    start = datetime(2024, 1, 1, 2, 0, tzinfo=UTC) + timedelta(minutes=i)
    return {
        "id": str(uuid.uuid4()),
        "site": site.pk,
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=45)).isoformat(),
        "lat": -0.9241,
        "lon": 116.5832,
        "kind": "dialogic",
        "dialogue": {
            "participants": [
                {"name": "Suparno", "role": "Ketua PPS", "organisation": "PPS"},
                {"name": "Siti Aminah", "role": "Anggota PPS", "organisation": "PPS"},
            ],
            "attendees": 9,
            "topics": ["Persiapan pemungutan suara"],
            "appeals": ["kamtibmas-pemilu", "partisipasi-warga"],
            "response": "positive",
            "notes": "Disambut baik.",
        },
    }


def run_api(site, token: str, n: int) -> float:
    from django.test import Client

    client = Client(headers={"Authorization": f"Bearer {token}"})
    bodies = [json.dumps(visit_body(site, i)) for i in range(n)]
    began = time.perf_counter()
    for body in bodies:
        response = client.post("/api/v1/visits", body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"API answered {response.status_code}: {response.content[:300]}")
    return time.perf_counter() - began


def raw_rows(site, officer, n: int, vendor: str):
    from patroli.core.search import stems_column
    from patroli.patrols.models import Appeal

    appeal_ids = list(
        Appeal.objects.filter(code__in=["kamtibmas-pemilu", "partisipasi-warga"]).values_list(
            "id", flat=True
        )
    )
    now = datetime.now(UTC)
    visits = []
    for i in range(n):
        body = visit_body(site, i)
        search_text = "\n".join([site.name, *body["dialogue"]["topics"], body["dialogue"]["notes"]])
        vid = uuid.UUID(body["id"])
        started = datetime.fromisoformat(body["started_at"])
        ended = datetime.fromisoformat(body["ended_at"])
        if vendor == "sqlite":
            vid = vid.hex
            started, ended, created = (
                d.replace(tzinfo=None).isoformat(" ") for d in (started, ended, now)
            )
        else:
            created = now
        visits.append(
            (
                vid,
                site.pk,
                site.unit_id,
                "dialogic",
                officer.pk,
                started,
                ended,
                body["lat"],
                body["lon"],
                24.6,
                False,
                created,
                search_text,
                stems_column(search_text),
                body["dialogue"]["response"],
                body["dialogue"]["attendees"],
            )
        )
    return visits, appeal_ids


def raw_insert(connect, placeholder: str, visits, appeal_ids, officer_id, per_visit: bool):
    """Insert the visits with the plain driver; returns seconds."""
    p = placeholder

    def sql(table: str, cols: list[str]) -> str:
        quoted = ", ".join(f'"{c}"' for c in cols)
        return f"INSERT INTO {table} ({quoted}) VALUES ({', '.join([p] * len(cols))})"

    visit_sql = sql(
        "patrols_visit",
        [
            "id",
            "site_id",
            "unit_id",
            "kind",
            "recorded_by_id",
            "started_at",
            "ended_at",
            "lat",
            "lon",
            "distance_m",
            "far_from_site",
            "created_at",
            "search_text",
            "search_stems",
            "response",
            "attendees",
        ],
    )
    officer_sql = sql("patrols_visit_officers", ["visit_id", "officer_id"])
    dialogue_sql = (
        sql(
            "patrols_dialogue",
            ["visit_id", "attendees", "topics", "response", "notes", "statement"],
        )
        + " RETURNING id"
    )
    participant_sql = sql(
        "patrols_participant", ["dialogue_id", "name", "role", "organisation", "order"]
    )
    appeal_sql = sql("patrols_dialogue_appeals", ["dialogue_id", "appeal_id"])
    topics = json.dumps(["Persiapan pemungutan suara"])
    conn = connect()
    began = time.perf_counter()
    batches = [[v] for v in visits] if per_visit else [visits]
    for batch in batches:
        cur = conn.cursor()
        cur.executemany(visit_sql, batch)
        cur.executemany(officer_sql, [(v[0], officer_id) for v in batch])
        dialogue_ids = []
        for v in batch:  # RETURNING needs one statement per dialogue
            cur.execute(dialogue_sql, (v[0], 9, topics, "positive", "Disambut baik.", ""))
            dialogue_ids.append(cur.fetchone()[0])
        cur.executemany(
            participant_sql,
            [
                (d, name, role, "PPS", order)
                for d in dialogue_ids
                for order, (name, role) in enumerate(
                    [("Suparno", "Ketua PPS"), ("Siti Aminah", "Anggota PPS")]
                )
            ],
        )
        cur.executemany(appeal_sql, [(d, a) for d in dialogue_ids for a in appeal_ids])
        conn.commit()
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def main() -> None:
    args = parse_args()
    workdir = tempfile.mkdtemp(prefix="patroli-bench-")
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    setup_django(url)
    from django.conf import settings
    from django.db import connection

    officer, site, token = build_world()
    vendor = connection.vendor
    n = args.n
    api_seconds = run_api(site, token, n)

    if vendor == "sqlite":
        import sqlite3

        path = settings.DATABASES["default"]["NAME"]

        def connect():
            conn = sqlite3.connect(path, timeout=20)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn

        placeholder = "?"
    else:
        import psycopg

        def connect():
            return psycopg.connect(url)

        placeholder = "%s"
    connection.close()
    results = [("API  POST /api/v1/visits (one request, one transaction each)", api_seconds)]
    for per_visit, label in [
        (True, "raw driver, one transaction per visit"),
        (False, "raw driver executemany, one transaction"),
    ]:
        rows, appeal_ids = raw_rows(site, officer, n, vendor)
        results.append(
            (label, raw_insert(connect, placeholder, rows, appeal_ids, officer.pk, per_visit))
        )

    print(f"\nRecording {n} dialogic visits (2 participants, 2 appeals each) on {vendor}\n")
    print(f"{'method':<62} {'seconds':>8} {'visits/s':>10} {'API is x slower':>16}")
    for label, seconds in results:
        ratio = api_seconds / seconds
        print(f"{label:<62} {seconds:>8.3f} {n / seconds:>10.0f} {ratio:>16.1f}")
    print()


if __name__ == "__main__":
    main()
