import patroli.core.ids
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patrols", "0015_restem"),
    ]

    # The default is made in Python, not by the database: only Django's state changes. As an
    # AlterField, SQLite would rebuild the table (and drop what RunSQL made on it).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="visit",
                    name="id",
                    field=models.UUIDField(
                        default=patroli.core.ids.uuid7,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterField(
                    model_name="visitphoto",
                    name="id",
                    field=models.UUIDField(
                        default=patroli.core.ids.uuid7,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
            ]
        )
    ]
