from django.db import migrations

# (election, name, kind, starts, ends, voting day). Pemilu 2024 after PKPU 3/2022; Pilkada 2024
# campaign, quiet period and voting after PKPU 2/2024.
STAGES = [
    ("Pemilu 2024", "Persiapan Pemilu 2024", "preparation", "2022-06-14", "2023-11-27", "2024-02-14"),
    ("Pemilu 2024", "Masa kampanye Pemilu 2024", "campaign", "2023-11-28", "2024-02-10", "2024-02-14"),
    ("Pemilu 2024", "Masa tenang Pemilu 2024", "quiet", "2024-02-11", "2024-02-13", "2024-02-14"),
    ("Pemilu 2024", "Pemungutan suara Pemilu 2024", "voting", "2024-02-14", "2024-02-14", "2024-02-14"),
    ("Pemilu 2024", "Penghitungan suara Pemilu 2024", "counting", "2024-02-14", "2024-02-15", "2024-02-14"),
    ("Pemilu 2024", "Rekapitulasi hasil Pemilu 2024", "recapitulation", "2024-02-15", "2024-03-20", "2024-02-14"),
    ("Pilkada 2024", "Masa kampanye Pilkada 2024", "campaign", "2024-09-25", "2024-11-23", "2024-11-27"),
    ("Pilkada 2024", "Masa tenang Pilkada 2024", "quiet", "2024-11-24", "2024-11-26", "2024-11-27"),
    ("Pilkada 2024", "Pemungutan suara Pilkada 2024", "voting", "2024-11-27", "2024-11-27", "2024-11-27"),
]


def load(apps, schema_editor):
    Stage = apps.get_model("elections", "Stage")
    for election, name, kind, starts, ends, voting in STAGES:
        Stage.objects.update_or_create(
            election=election,
            name=name,
            region=None,
            defaults={"kind": kind, "starts_on": starts, "ends_on": ends, "voting_day": voting},
        )


class Migration(migrations.Migration):
    dependencies = [("elections", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
