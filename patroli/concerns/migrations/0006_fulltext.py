from django.db import migrations

from patroli.core import search

COLUMNS = ("description", "address")


def backfill(apps, schema_editor):
    """Stems in the full-text form: every word, stopwords and repeats included."""
    Concern = apps.get_model("concerns", "Concern")
    concerns = Concern.objects.using(schema_editor.connection.alias).only(*COLUMNS)
    batch = []
    for concern in concerns.order_by("pk").iterator(1000):
        concern.search_stems = search.stems_column(concern.description, concern.address)
        batch.append(concern)
        if len(batch) == 1000:
            concerns.bulk_update(batch, ["search_stems"])
            batch = []
    concerns.bulk_update(batch, ["search_stems"])


def install(apps, schema_editor):
    search.install_index(
        schema_editor.connection, apps.get_model("concerns", "Concern"), COLUMNS, stored=False
    )


def uninstall(apps, schema_editor):
    search.uninstall_index(schema_editor.connection, apps.get_model("concerns", "Concern"))


class Migration(migrations.Migration):

    dependencies = [
        ('concerns', '0005_photos_open311_keys'),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        # PostgreSQL: a GIN index on to_tsvector('indonesian', description and address);
        # SQLite: an FTS5 table over search_stems and its triggers. Neither is in the model state.
        migrations.RunPython(install, uninstall),
    ]
