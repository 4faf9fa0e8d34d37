"""`manage.py import_sites`: columns, derived units, idempotent re-import, all-or-nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from patroli.sites.models import Site
from patroli.units.models import Unit

HEADER = "name,kind,village,unit,lat,lng,address,tps_number,voters\n"
GOOD = (
    'TPS 002 Desa Bumi Harapan,tps,64.09.04.2004,,-0.9241,116.5832,"Jl. Poros, RT 02",2,326\n'
    "Kantor Desa Bukit Raya,village_office,64.09.04.2002,,,,,,\n"
    "Kantor PPK Kecamatan Penajam,PPK_OFFICE,64.09.01.1003,,,,,,\n"
    "Pasar Sepaku,market,64.09.04.1005,polres-ppu,-0.849,116.719,,,\n"
)


def write_csv(tmp_path, body: str, header: str = HEADER, name: str = "sites.csv"):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_sites", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_sites", *args, stdout=out, stderr=err)
    return str(excinfo.value), out.getvalue(), err.getvalue()


def snapshot():
    return list(
        Site.objects.order_by("pk").values_list(
            "pk",
            "name",
            "kind",
            "village_id",
            "unit_id",
            "lat",
            "lng",
            "address",
            "tps_number",
            "voters",
            "updated_at",
        )
    )


def test_good_file_creates_sites_with_units_from_jurisdiction_or_column(world, tmp_path):
    path = write_csv(tmp_path, GOOD)

    out, err = run(str(path))

    assert err == ""
    assert "sites: 4 created, 0 updated, 0 unchanged" in out
    assert Site.objects.count() == 3 + 4
    tps = Site.objects.get(name="TPS 002 Desa Bumi Harapan")
    assert (tps.kind, tps.village_id, tps.unit) == ("tps", "64.09.04.2004", world.sepaku)
    assert (tps.lat, tps.lng) == (pytest.approx(-0.9241), pytest.approx(116.5832))
    assert (tps.address, tps.tps_number, tps.voters) == ("Jl. Poros, RT 02", 2, 326)
    bukit = Site.objects.get(name="Kantor Desa Bukit Raya")
    assert (bukit.unit, bukit.lat, bukit.lng, bukit.tps_number, bukit.voters) == (
        world.sepaku,
        None,
        None,
        None,
        None,
    )
    assert bukit.address == ""
    penajam = Site.objects.get(name="Kantor PPK Kecamatan Penajam")
    assert (penajam.kind, penajam.unit) == ("ppk_office", world.penajam)
    assert Site.objects.get(name="Pasar Sepaku").unit == world.polres


def test_reimport_of_the_same_file_changes_nothing(world, tmp_path):
    path = write_csv(tmp_path, GOOD)
    run(str(path))
    before = snapshot()

    out, err = run(str(path))

    assert err == ""
    assert "sites: 0 created, 0 updated, 4 unchanged" in out
    assert snapshot() == before


def test_a_site_already_there_is_matched_by_village_kind_and_name(world, tmp_path):
    path = write_csv(tmp_path, "TPS 001 Desa Bumi Harapan,tps,64.09.04.2004,,,,,1,326\n")

    out, _ = run(str(path))

    assert "sites: 0 created, 0 updated, 1 unchanged" in out
    assert Site.objects.filter(name="TPS 001 Desa Bumi Harapan").count() == 1


def test_a_changed_value_is_updated(world, tmp_path):
    run(str(write_csv(tmp_path, GOOD)))
    changed = write_csv(tmp_path, GOOD.replace(",2,326", ",2,330"), name="changed.csv")
    tps = Site.objects.get(name="TPS 002 Desa Bumi Harapan")

    out, err = run(str(changed))

    assert err == ""
    assert "sites: 0 created, 1 updated, 3 unchanged" in out
    tps.refresh_from_db()
    assert tps.voters == 330
    assert Site.objects.filter(name="TPS 002 Desa Bumi Harapan").count() == 1
    assert Site.objects.count() == 3 + 4


BAD = (
    "TPS 003 Desa Bumi Harapan,tps,64.09.04.2004,,,,,3,320\n"  # 2 good
    "Gudang Logistik,gudang,64.09.04.2004,,,,,,\n"  # 3 unknown kind
    "Kantor Desa Entah,village_office,64.09.04.9999,,,,,,\n"  # 4 unknown village
    "Kantor PPS Desa Suka Raja,pps_office,64.09.04.2003,,abc,116.7,,,\n"  # 5 lat not a number
    "TPS 004 Desa Bumi Harapan,tps,64.09.04.2004,,,,,-4,300\n"  # 6 negative tps_number
    "TPS 003 Desa Bumi Harapan,tps,64.09.04.2004,,,,,3,320\n"  # 7 same as line 2
    ",market,64.09.04.1005,,,,,,\n"  # 8 missing name
    "Kantor PPK Kecamatan Sepaku,ppk_office,64.09.04,,,,,,\n"  # 9 a district, not a village
    "Pasar Baru,market,64.09.04.1005,polsek-entah,,,,,\n"  # 10 unknown unit
    "Kantor Desa Telemow,village_office,64.09.04.2015,,-1.07,,,,\n"  # 11 lat without lng
    "Kantor Desa Binuang,village_office,64.09.04.2014,,,,,,\n"  # 12 good
)
BAD_ERRORS = [
    "line 3: kind 'gudang' is not one of pps_office, ppk_office, tps, kpu_warehouse, "
    "village_office, worship, market, school, other",
    "line 4: village '64.09.04.9999' is not a village code",
    "line 5: lat is not a number: 'abc'",
    "line 6: tps_number must be a whole number from 1 to 9999, not '-4'",
    "line 7: same site as line 2",
    "line 8: name must be 2 to 160 characters",
    "line 9: village '64.09.04' is not a village code",
    "line 10: unit 'polsek-entah' does not exist",
    "line 11: lat and lng must be given together",
]


def test_any_bad_row_writes_nothing_and_each_is_reported_by_line(world, tmp_path):
    path = write_csv(tmp_path, BAD)
    before = snapshot()

    message, out, err = run_failing(str(path))

    assert message == "9 bad rows; nothing was written"
    assert out == ""
    assert err.splitlines() == BAD_ERRORS
    assert snapshot() == before
    assert not Site.objects.filter(name__in=["TPS 003 Desa Bumi Harapan", "Kantor Desa Binuang"])


def test_bad_rows_also_roll_back_updates_of_good_rows(world, tmp_path):
    path = write_csv(
        tmp_path,
        "TPS 001 Desa Bumi Harapan,tps,64.09.04.2004,,,,,1,999\n"
        "Gudang Logistik,gudang,64.09.04.2004,,,,,,\n",
    )

    _, _, err = run_failing(str(path))

    assert err.splitlines()[0].startswith("line 3: kind 'gudang'")
    world.tps_bumi.refresh_from_db()
    assert world.tps_bumi.voters == 326


def test_skip_invalid_writes_the_good_rows_and_reports_the_bad(world, tmp_path):
    path = write_csv(tmp_path, BAD)

    out, err = run(str(path), "--skip-invalid")

    assert "sites: 2 created, 0 updated, 0 unchanged, 9 rows skipped" in out
    assert err.splitlines() == BAD_ERRORS
    assert Site.objects.count() == 3 + 2
    assert Site.objects.get(name="TPS 003 Desa Bumi Harapan").unit == world.sepaku
    assert Site.objects.get(name="Kantor Desa Binuang").unit == world.sepaku
    assert not Site.objects.filter(name="Gudang Logistik").exists()


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("name,village,lat,lng\n", "kind"),
        ("kind,unit\n", "name, village"),
    ],
)
def test_missing_required_column_is_named(world, tmp_path, header, missing):
    path = write_csv(tmp_path, "Pasar Sepaku,market\n", header=header)

    message, out, err = run_failing(str(path))

    assert "nothing was written" in message
    assert out == ""
    assert err.strip() == f"line 1: missing columns: {missing}"
    assert Site.objects.count() == 3


def test_optional_columns_may_be_left_out(world, tmp_path):
    path = write_csv(tmp_path, "Pasar Sepaku,market,64.09.04.1005\n", header="name,kind,village\n")

    out, _ = run(str(path))

    assert "sites: 1 created, 0 updated, 0 unchanged" in out
    assert Site.objects.get(name="Pasar Sepaku").unit == world.sepaku


def test_village_without_a_responsible_unit_is_an_error(world, tmp_path):
    # Waru (64.09.02) is in the Polres's regency but no Polsek's: the Polres is responsible.
    path = write_csv(tmp_path, "Kantor Kelurahan Waru,village_office,64.09.02.1003,,,,,,\n")
    out, _ = run(str(path))
    assert "1 created" in out
    assert Site.objects.get(name="Kantor Kelurahan Waru").unit == world.polres

    world.polda.regions.clear()
    world.polres.regions.clear()
    path = write_csv(tmp_path, "Kantor Desa Api-api,village_office,64.09.02.2001,,,,,,\n")
    _, _, err = run_failing(str(path))
    assert err.strip() == (
        "line 2: no unit has jurisdiction over village 64.09.02.2001; add a unit"
    )


def test_unit_with_a_village_jurisdiction_is_only_used_for_that_village(world, tmp_path):
    post = Unit.objects.create(
        code="pos-bumi-harapan", name="Pos Bumi Harapan", level="polsek", parent=world.sepaku
    )
    post.regions.set(["64.09.04.2004"])
    path = write_csv(
        tmp_path,
        "Kantor Desa Bumi Harapan,village_office,64.09.04.2004,,,,,,\n"
        "Kantor Desa Bukit Raya,village_office,64.09.04.2002,,,,,,\n",
    )

    run(str(path))

    assert Site.objects.get(name="Kantor Desa Bumi Harapan").unit == post
    assert Site.objects.get(name="Kantor Desa Bukit Raya").unit == world.sepaku
