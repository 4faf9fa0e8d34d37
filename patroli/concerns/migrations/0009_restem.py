from django.db import migrations

from patroli.core import search


class Migration(migrations.Migration):
    """SQLite: the stems of every concern written again where a shared stemmer mixed them up
    (core/search.py, restemming_migration). PostgreSQL: nothing."""

    dependencies = [
        ("concerns", "0008_search_vector"),
    ]

    operations = [
        search.restemming_migration("concerns", "Concern", ("description", "address")),
    ]
