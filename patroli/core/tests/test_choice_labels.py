"""get_<field>_display() from a table per field and language (core.models.ChoiceLabels)."""

from django.db.models import Model
from django.utils import translation

from patroli.concerns.models import Concern
from patroli.elections.models import Incident
from patroli.patrols.models import Visit


def django_display(obj, name: str) -> str:
    """What Django's own get_<name>_display() answers."""
    return Model._get_FIELD_display(obj, obj._meta.get_field(name))


def test_labels_as_django_gives_them_in_each_language():
    for language in ("id", "en"):
        with translation.override(language):
            for value, _label in Concern.Status.choices:
                concern = Concern(status=value)
                assert concern.get_status_display() == django_display(concern, "status")
            visit = Visit(kind=Visit.Kind.DIALOGIC)
            assert visit.get_kind_display() == django_display(visit, "kind")
            incident = Incident(severity=Incident.Severity.RED)
            assert incident.get_severity_display() == django_display(incident, "severity")
    with translation.override("id"):
        indonesian = Concern(status=Concern.Status.RESOLVED).get_status_display()
    with translation.override("en"):
        english = Concern(status=Concern.Status.RESOLVED).get_status_display()
    assert (english, indonesian) == ("resolved", "selesai ditangani")


def test_a_value_that_is_not_a_choice_shows_as_stored():
    concern = Concern(status="gone")
    assert concern.get_status_display() == "gone" == django_display(concern, "status")
    assert Concern.label_of("status", "gone") == "gone"


def test_label_of_a_row_is_the_instances_label():
    """label_of() labels a value read as a row (the API's concerns), without a model."""
    for language in ("id", "en"):
        with translation.override(language):
            for value, _label in Concern.Status.choices:
                expected = Concern(status=value).get_status_display()
                assert Concern.label_of("status", value) == expected


def test_the_listed_models_use_the_table():
    from patroli.core.models import ChoiceLabels

    for model in (Concern, Incident, Visit):
        assert model._get_FIELD_display is ChoiceLabels._get_FIELD_display
