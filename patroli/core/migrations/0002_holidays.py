from django.db import migrations

# National public holidays (libur nasional) per the joint ministerial decrees (SKB 3 Menteri),
# without collective leave days. Administrators add cuti bersama and later years in the admin.
HOLIDAYS = {
    "2024": [
        ("01-01", "Tahun Baru 2024 Masehi"), ("02-08", "Isra Mikraj Nabi Muhammad SAW"),
        ("02-10", "Tahun Baru Imlek 2575 Kongzili"), ("02-14", "Hari Pemungutan Suara Pemilu 2024"),
        ("03-11", "Hari Suci Nyepi Tahun Baru Saka 1946"), ("03-29", "Wafat Yesus Kristus"),
        ("03-31", "Hari Paskah"), ("04-10", "Hari Raya Idul Fitri 1445 H"),
        ("04-11", "Hari Raya Idul Fitri 1445 H"), ("05-01", "Hari Buruh Internasional"),
        ("05-09", "Kenaikan Yesus Kristus"), ("05-23", "Hari Raya Waisak 2568 BE"),
        ("06-01", "Hari Lahir Pancasila"), ("06-17", "Hari Raya Idul Adha 1445 H"),
        ("07-07", "Tahun Baru Islam 1446 H"), ("08-17", "Hari Kemerdekaan Republik Indonesia"),
        ("09-16", "Maulid Nabi Muhammad SAW"), ("11-27", "Hari Pemungutan Suara Pilkada 2024"),
        ("12-25", "Hari Raya Natal"),
    ],
    "2025": [
        ("01-01", "Tahun Baru 2025 Masehi"), ("01-27", "Isra Mikraj Nabi Muhammad SAW"),
        ("01-29", "Tahun Baru Imlek 2576 Kongzili"), ("03-29", "Hari Suci Nyepi Tahun Baru Saka 1947"),
        ("03-31", "Hari Raya Idul Fitri 1446 H"), ("04-01", "Hari Raya Idul Fitri 1446 H"),
        ("04-18", "Wafat Yesus Kristus"), ("04-20", "Hari Paskah"),
        ("05-01", "Hari Buruh Internasional"), ("05-12", "Hari Raya Waisak 2569 BE"),
        ("05-29", "Kenaikan Yesus Kristus"), ("06-01", "Hari Lahir Pancasila"),
        ("06-06", "Hari Raya Idul Adha 1446 H"), ("06-27", "Tahun Baru Islam 1447 H"),
        ("08-17", "Hari Kemerdekaan Republik Indonesia"), ("09-05", "Maulid Nabi Muhammad SAW"),
        ("12-25", "Hari Raya Natal"),
    ],
    "2026": [
        ("01-01", "Tahun Baru 2026 Masehi"), ("01-16", "Isra Mikraj Nabi Muhammad SAW"),
        ("02-17", "Tahun Baru Imlek 2577 Kongzili"), ("03-19", "Hari Suci Nyepi Tahun Baru Saka 1948"),
        ("03-20", "Hari Raya Idul Fitri 1447 H"), ("03-21", "Hari Raya Idul Fitri 1447 H"),
        ("04-03", "Wafat Yesus Kristus"), ("04-05", "Hari Paskah"),
        ("05-01", "Hari Buruh Internasional"), ("05-14", "Kenaikan Yesus Kristus"),
        ("05-27", "Hari Raya Idul Adha 1447 H"), ("05-31", "Hari Raya Waisak 2570 BE"),
        ("06-01", "Hari Lahir Pancasila"), ("06-16", "Tahun Baru Islam 1448 H"),
        ("08-17", "Hari Kemerdekaan Republik Indonesia"), ("08-25", "Maulid Nabi Muhammad SAW"),
        ("12-25", "Hari Raya Natal"),
    ],
}


def load(apps, schema_editor):
    Holiday = apps.get_model("core", "Holiday")
    for year, days in HOLIDAYS.items():
        for month_day, name in days:
            Holiday.objects.update_or_create(date=f"{year}-{month_day}", defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
