from django.db import migrations

from patroli.core import search

COLUMNS = ("description", "address")


def install(apps, schema_editor):
    """PostgreSQL: the document stored in search_vector, with its GIN index, in place of the
    GIN index on the document computed from the text (core/search.py). SQLite: nothing."""
    if schema_editor.connection.vendor == "postgresql":
        model = apps.get_model("concerns", "Concern")
        search.install_index(schema_editor.connection, model, COLUMNS)


def uninstall(apps, schema_editor):
    model = apps.get_model("concerns", "Concern")
    search.install_document_index(schema_editor.connection, model, COLUMNS)


class Migration(migrations.Migration):

    dependencies = [
        ("concerns", "0007_covering_indexes"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
