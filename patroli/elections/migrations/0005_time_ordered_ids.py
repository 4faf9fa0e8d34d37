import patroli.core.ids
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("elections", "0004_risk_score_index"),
    ]

    # The default is made in Python, not by the database: only Django's state changes. As an
    # AlterField, SQLite would rebuild the table (and drop what RunSQL made on it).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="incident",
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
