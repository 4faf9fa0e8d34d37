"""The access gate: every read of protected data passes through here.

A user sees the records of its own unit's subtree (a Polres commander sees its Polsek; a Polsek
officer sees its own Polsek only). A superuser sees everything; a user without a unit sees nothing.
Records outside the scope answer 404, never 403, so that their existence does not leak.

Each protected model names the path to its owning unit in ``access_unit_field``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

if TYPE_CHECKING:
    from patroli.units.models import Unit

M = TypeVar("M", bound=Model)


def _unit_condition(user, prefix: str) -> Q | None:
    """The filter selecting what ``user`` may see; None means everything."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    unit = user.unit
    if unit is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}path__startswith": unit.path})


def visible(queryset: QuerySet[M], user) -> QuerySet[M]:
    """The part of ``queryset`` that ``user`` may read."""
    field = getattr(queryset.model, "access_unit_field", None)
    if field is None:
        raise TypeError(f"{queryset.model.__name__} declares no access_unit_field")
    prefix = "" if field == "self" else f"{field}__"
    condition = _unit_condition(user, prefix)
    return queryset if condition is None else queryset.filter(condition)


def get_visible_or_404(queryset: QuerySet[M], user, **lookup) -> M:
    """One record that ``user`` may read, or Http404 (also when it exists elsewhere)."""
    try:
        return visible(queryset, user).get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


def can_see_unit(user, unit: Unit) -> bool:
    from patroli.units.models import Unit

    return visible(Unit.objects.filter(pk=unit.pk), user).exists()
