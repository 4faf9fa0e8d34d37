"""`manage.py seed_demo`: the Bumi Harapan demo, idempotent, with working logins."""

import os
import re
import subprocess
import sys
from datetime import datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from patroli.concerns.models import Concern
from patroli.patrols.models import Participant, Visit
from patroli.regions.models import Region
from patroli.sites.models import Site
from patroli.units.models import Officer, Unit

PASSWORD = "x-demo-123"
USERNAMES = [
    "kasiyono",
    "bhabin.bumiharapan",
    "kapolres.ppu",
    "humas.ppu",
    "officer.penajam",
    "admin",
]
MODELS = [Unit, Officer, Site, Visit, Concern, Participant, Region]
WITA = ZoneInfo("Asia/Makassar")
REPO_ROOT = Path(settings.BASE_DIR)


def seed(regions_file, *extra) -> str:
    out = StringIO()
    call_command("seed_demo", *extra, "--regions-file", str(regions_file), stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_running_twice_creates_nothing_new(db, ppu_regions_file):
    seed(ppu_regions_file, "--password", PASSWORD)
    first = counts()

    seed(ppu_regions_file, "--password", PASSWORD)

    assert counts() == first
    assert first["Unit"] == 4
    assert first["Officer"] == 6
    assert first["Region"] == 60
    assert first["Visit"] == 3 + 6  # the story's three and the week before 23 January 2024
    assert first["Concern"] == 3 + 1 + 4  # heard on patrols + residents' reports
    assert first["Participant"] == 6
    # Two sites per Sepaku village, eight TPS in Bumi Harapan, PPK and market, two in Penajam.
    assert first["Site"] == 15 * 2 + 8 + 2 + 2


def test_demo_users_exist_and_log_in_with_the_password(db, ppu_regions_file):
    seed(ppu_regions_file, "--password", PASSWORD)

    kasiyono = Officer.objects.get(username="kasiyono")
    assert (kasiyono.rank, kasiyono.role, kasiyono.unit.code) == (
        "AKP",
        "commander",
        "polsek-sepaku",
    )
    assert Officer.objects.get(username="bhabin.bumiharapan").unit.code == "polsek-sepaku"
    assert Officer.objects.get(username="kapolres.ppu").unit.code == "polres-ppu"
    assert Officer.objects.get(username="officer.penajam").unit.code == "polsek-penajam"
    admin = Officer.objects.get(username="admin")
    assert (admin.unit, admin.is_superuser, admin.is_staff) == (None, True, True)
    assert Unit.objects.get(code="polsek-sepaku").parent.code == "polres-ppu"
    assert list(Unit.objects.get(code="polsek-sepaku").regions.values_list("code", flat=True)) == [
        "64.09.04"
    ]
    for username in USERNAMES:
        assert Client().login(username=username, password=PASSWORD), username
        assert not Client().login(username=username, password="wrong-password"), username


def test_the_bumi_harapan_dialogue_of_23_january_2024(db, ppu_regions_file):
    seed(ppu_regions_file, "--password", PASSWORD)

    visit = Visit.objects.get(
        site__name="Kantor PPS Desa Bumi Harapan",
        started_at__gte=datetime(2024, 1, 23, tzinfo=WITA),
        started_at__lt=datetime(2024, 1, 24, tzinfo=WITA),
    )
    assert visit.site.village_id == "64.09.04.2004"
    assert visit.unit.code == "polsek-sepaku"
    assert visit.kind == Visit.Kind.DIALOGIC
    assert visit.started_at == datetime(2024, 1, 23, 10, 0, tzinfo=WITA)
    assert {o.username for o in visit.officers.all()} == {"kasiyono", "bhabin.bumiharapan"}
    dialogue = visit.dialogue
    assert dialogue.response == "positive"
    assert dialogue.attendees == 9
    participants = list(dialogue.participants.values_list("name", "role"))
    assert participants[0] == ("Suparno", "Ketua PPS")
    assert len(participants) == 4
    appeals = set(dialogue.appeals.values_list("code", flat=True))
    assert {"kamtibmas-pemilu", "partisipasi-warga"} <= appeals
    concerns = list(visit.concerns.all())
    assert len(concerns) == 2
    assert {c.source for c in concerns} == {Concern.Source.PATROL}
    assert {c.village_id for c in concerns} == {"64.09.04.2004"}
    assert {c.unit.code for c in concerns} == {"polsek-sepaku"}


def parse_logins(output: str) -> dict[str, str]:
    logins = {}
    for line in output.splitlines():
        match = re.match(r"^\s+(\S+)\s+(\S+)\s+\(", line)
        if match:
            logins[match[1]] = match[2]
    return logins


def test_without_password_generated_passwords_are_printed_and_work(db, ppu_regions_file):
    output = seed(ppu_regions_file)

    assert "Demo ready" in output
    logins = parse_logins(output)
    assert sorted(logins) == sorted(USERNAMES)
    assert PASSWORD not in logins.values()
    assert len(set(logins.values())) == len(USERNAMES)
    for username, password in logins.items():
        assert len(password) >= 12
        assert Client().login(username=username, password=password), username


def test_a_second_run_without_password_replaces_the_passwords(db, ppu_regions_file):
    first = parse_logins(seed(ppu_regions_file))
    second = parse_logins(seed(ppu_regions_file))

    assert sorted(second) == sorted(USERNAMES)
    for username in USERNAMES:
        assert Client().login(username=username, password=second[username]), username
        assert not Client().login(username=username, password=first[username]), username


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("import-regions", "Load Kemendagri regions"),
        ("import-sites", "--skip-invalid"),
        ("seed-demo", "--regions-file"),
    ],
)
def test_console_script_maps_dashed_command_names(command, expected):
    env = {**os.environ, "SECRET_KEY": "only-for-this-test", "DEBUG": "0"}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "patroli.cli", command, "--help"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert f"patroli {command.replace('-', '_')}" in result.stdout


def test_console_script_rejects_an_unknown_command():
    env = {**os.environ, "SECRET_KEY": "only-for-this-test", "DEBUG": "0"}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "patroli.cli", "no-such-command"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "no_such_command" in result.stderr
