"""`manage.py import_regions`: the shipped Kemendagri file, bad rows, missing columns, updates."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from patroli.regions.importer import DEFAULT_FILE
from patroli.regions.models import Region

HEADER = "kode,kode_induk,tingkat,jenis,nama,lat,lng,kodepos\n"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_regions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_regions", *args, stdout=out, stderr=err)
    return str(excinfo.value), out.getvalue(), err.getvalue()


def snapshot():
    return list(
        Region.objects.order_by("code").values_list(
            "code", "parent_id", "level", "kind", "name", "search_name", "lat", "lng", "postal_code"
        )
    )


def test_shipped_file_imports_every_region_once_and_a_second_run_changes_nothing(db):
    assert DEFAULT_FILE.exists()

    out, err = run()

    assert err == ""
    assert "regions: 91599 created, 0 updated, 0 unchanged" in out
    assert Region.objects.count() == 91_599
    per_level = dict(
        Region.objects.values_list("level").annotate(n=Count("code")).order_by("level")
    )
    assert per_level == {1: 38, 2: 514, 3: 7_285, 4: 83_762}
    bumi = Region.objects.get(code="64.09.04.2004")
    assert (bumi.name, bumi.parent_id, bumi.level, bumi.kind) == (
        "Bumi Harapan",
        "64.09.04",
        Region.Level.VILLAGE,
        Region.Kind.DESA,
    )
    assert Region.objects.filter(level=1, parent__isnull=False).count() == 0
    assert Region.objects.filter(level__gt=1, parent__isnull=True).count() == 0
    before = snapshot()

    out, err = run()

    assert err == ""
    assert "regions: 0 created, 0 updated, 91599 unchanged" in out
    assert snapshot() == before


def write_csv(tmp_path, body: str, header: str = HEADER):
    path = tmp_path / "regions.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


BAD_FILE = (
    "64,,1,provinsi,Kalimantan Timur,-0.502106,117.153709,\n"  # 2 good
    "64.09,64,2,kabupaten,Kabupaten Penajam Paser Utara,,,\n"  # 3 good
    "64.9,64,2,kabupaten,Kode Salah,,,\n"  # 4 bad code format
    "64.09.04,64.09,3,kecamatan,Sepaku,,,\n"  # 5 good
    "64.09.05,64.08,3,kecamatan,Induk Salah,,,\n"  # 6 wrong kode_induk
    "64.09.04.2004,64.09.04,4,dusun,Bumi Harapan,,,76147\n"  # 7 unknown jenis
    "64.09.04.2002,64.09.04,4,desa,Bukit Raya,95.5,116.705930,76147\n"  # 8 lat out of range
    "64.09.04.2001,64.09.04,4,desa,Tengin Baru,-0.881435,116.832736,76147\n"  # 9 good
    "64.09.04.2001,64.09.04,4,desa,Tengin Baru,-0.881435,116.832736,76147\n"  # 10 duplicate
    "64.10.01,64.10,3,kecamatan,Tanpa Induk,,,\n"  # 11 parent does not exist
)


def test_bad_rows_are_each_reported_with_line_and_reason_and_nothing_is_written(db, tmp_path):
    path = write_csv(tmp_path, BAD_FILE)

    message, out, err = run_failing(str(path))

    assert message == "6 bad rows; nothing was written"
    assert out == ""
    lines = err.splitlines()
    assert lines == [
        "line 4: kode '64.9' is not a level-2 Kemendagri code",
        "line 6: kode_induk '64.08' should be '64.09' for 64.09.05",
        "line 7: jenis 'dusun' is not one of "
        "desa, desa_adat, kabupaten, kecamatan, kelurahan, kota, provinsi",
        "line 8: lat 95.5 is outside -90..90",
        "line 10: kode 64.09.04.2001 appears twice",
        "line 11: parent 64.10 does not exist",
    ]
    # Not even the good rows (2, 3, 5, 9) were kept.
    assert Region.objects.count() == 0


def test_bad_file_leaves_existing_regions_untouched(regions, tmp_path):
    before = snapshot()
    path = write_csv(
        tmp_path,
        "64.09.04.2004,64.09.04,4,desa,Bumi Harapan Baru,-0.923927,116.583091,76147\n"
        "64.09.04.9999,64.09.04,4,desa,Desa Baru,-0.9,116.5,123\n",  # bad postal code
    )

    message, _, err = run_failing(str(path))

    assert message.startswith("1 bad row")
    assert message.endswith("nothing was written")
    assert err.splitlines() == ["line 3: kodepos '123' is not five digits"]
    assert snapshot() == before


def test_missing_columns_are_named(db, tmp_path):
    path = write_csv(tmp_path, "64,Kalimantan Timur\n", header="kode,nama\n")

    message, out, err = run_failing(str(path))

    assert "nothing was written" in message
    assert out == ""
    assert err.strip() == "line 1: missing columns: jenis, kode_induk, lat, lng, tingkat"
    assert Region.objects.count() == 0


def test_a_renamed_region_is_updated_on_reimport(regions, ppu_regions_file, tmp_path):
    original = ppu_regions_file.read_text(encoding="utf-8")
    assert ",Bumi Harapan," in original
    path = tmp_path / "renamed.csv"
    path.write_text(original.replace(",Bumi Harapan,", ",Bumi Harapán Baru,"), encoding="utf-8")
    count = Region.objects.count()
    assert count == 60

    out, err = run(str(path))

    assert err == ""
    assert f"regions: 0 created, 1 updated, {count - 1} unchanged" in out
    bumi = Region.objects.get(code="64.09.04.2004")
    assert bumi.name == "Bumi Harapán Baru"
    assert bumi.search_name == "bumi harapan baru"
    assert Region.objects.count() == count
    assert Region.objects.get(code="64.09.04.2002").name == "Bukit Raya"
