"""Visit.response and Visit.attendees: the dialogue's, copied for the dashboards (filled from the
dialogues already stored by 0011)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patrols", "0009_visit_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="attendees",
            field=models.PositiveIntegerField(
                blank=True, editable=False, null=True, verbose_name="number of attendees"
            ),
        ),
        migrations.AddField(
            model_name="visit",
            name="response",
            field=models.CharField(
                blank=True, editable=False, max_length=10, verbose_name="community response"
            ),
        ),
    ]
