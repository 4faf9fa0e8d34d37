from django.db import migrations

from patroli.core import search

COLUMNS = ("title", "body")


def backfill(apps, schema_editor):
    """Stems in the full-text form: every word, stopwords and repeats included."""
    Release = apps.get_model("newsroom", "Release")
    releases = Release.objects.using(schema_editor.connection.alias).only(*COLUMNS)
    batch = []
    for release in releases.order_by("pk").iterator(1000):
        release.search_stems = search.stems_column(release.title, release.body)
        batch.append(release)
        if len(batch) == 1000:
            releases.bulk_update(batch, ["search_stems"])
            batch = []
    releases.bulk_update(batch, ["search_stems"])


def install(apps, schema_editor):
    search.install_index(
        schema_editor.connection, apps.get_model("newsroom", "Release"), COLUMNS, stored=False
    )


def uninstall(apps, schema_editor):
    search.uninstall_index(schema_editor.connection, apps.get_model("newsroom", "Release"))


class Migration(migrations.Migration):

    dependencies = [
        ('newsroom', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        # PostgreSQL: a GIN index on to_tsvector('indonesian', title and body); SQLite: an
        # FTS5 table over search_stems and its triggers. Neither is in the model state.
        migrations.RunPython(install, uninstall),
    ]
