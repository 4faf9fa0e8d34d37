from django.db import migrations

# (code, name, group, severity, agency). SLA defaults follow SP4N-LAPOR!: 3 + 5 working days.
CATEGORIES = [
    ("politik-uang", "Politik uang", "Pemilu", "high", ""),
    ("intimidasi", "Intimidasi atau ancaman", "Pemilu", "high", ""),
    ("hoaks", "Hoaks atau provokasi", "Pemilu", "medium", ""),
    ("logistik-pemilu", "Logistik pemilu", "Pemilu", "high", "KPU"),
    ("netralitas", "Netralitas aparatur atau penyelenggara", "Pemilu", "medium", "Bawaslu"),
    ("ketertiban-umum", "Ketertiban umum", "Kamtibmas", "medium", ""),
    ("kriminalitas", "Tindak kejahatan", "Kamtibmas", "high", ""),
    ("lalu-lintas", "Lalu lintas", "Kamtibmas", "low", ""),
    ("konflik-sosial", "Konflik sosial", "Kamtibmas", "high", ""),
    ("narkoba", "Narkoba", "Kamtibmas", "high", ""),
    ("jalan-rusak", "Jalan atau jembatan rusak", "Instansi lain", "low", "Pemerintah Daerah"),
    ("listrik", "Listrik dan penerangan jalan", "Instansi lain", "low", "PLN"),
    ("lainnya", "Lainnya", "Lainnya", "low", ""),
]


def load(apps, schema_editor):
    Category = apps.get_model("concerns", "Category")
    for code, name, group, severity, agency in CATEGORIES:
        Category.objects.update_or_create(
            code=code,
            defaults={"name": name, "group": group, "severity": severity, "agency": agency},
        )


class Migration(migrations.Migration):
    dependencies = [("concerns", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
