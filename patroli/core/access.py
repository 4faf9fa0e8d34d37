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


def _unit_condition(user, prefix: str, within: Unit | None = None) -> Q | None:
    """The filter selecting what ``user`` may see (of ``within``'s subtree when given); None
    means everything."""
    nothing = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return nothing
    if user.is_superuser:
        root = within.path if within is not None else None
    elif user.unit is None:
        return nothing
    else:
        root = user.unit.path
        if within is not None:
            if within.path.startswith(root):
                root = within.path  # deeper inside the user's subtree
            elif not root.startswith(within.path):
                return nothing  # another branch of the tree
    return None if root is None else Q(**{f"{prefix}path__startswith": root})


def visible(queryset: QuerySet[M], user, *, within: Unit | None = None) -> QuerySet[M]:
    """The part of ``queryset`` that ``user`` may read; with ``within``, only of that unit's
    subtree. One condition either way: the two subtrees' paths filtered one after the other
    would make PostgreSQL think a Polda's units a tenth as many as they are (it multiplies
    the two selectivities) and pick a plan twenty times slower for the dashboard's counts."""
    field = getattr(queryset.model, "access_unit_field", None)
    if field is None:
        raise TypeError(f"{queryset.model.__name__} declares no access_unit_field")
    prefix = "" if field == "self" else f"{field}__"
    condition = _unit_condition(user, prefix, within)
    return queryset if condition is None else queryset.filter(condition)


def gated_subtree(queryset: QuerySet) -> str | None:
    """The unit path whose subtree ``queryset`` is kept to by :func:`visible` (or by another
    filter of the same ``<unit>__path__startswith``), when that goes through the model's own
    unit (an ``access_unit_field`` of one foreign key); None otherwise (no gate: a superuser;
    a gate through another record). Only a condition that every row must meet counts: one
    under an OR or a NOT does not. Of several, the deepest."""
    from django.db.models.sql.where import AND, WhereNode

    from patroli.units.models import PathStartsWith, Unit

    model = queryset.model
    name = getattr(model, "access_unit_field", None)
    if name is None or name == "self" or "__" in name:
        return None
    unit_field = model._meta.get_field(name)
    query = queryset.query
    if query.is_empty():  # none(): nothing to narrow
        return None
    base = query.base_table  # (get_initial_alias() would count one more use of it)
    path = Unit._meta.get_field("path")
    found = []
    nodes = [query.where]
    while nodes:
        node = nodes.pop()
        if isinstance(node, WhereNode):
            if node.connector == AND and not node.negated:
                nodes.extend(node.children)
            continue
        if not (
            isinstance(node, PathStartsWith)
            and node.rhs_is_direct_value()
            and isinstance(node.rhs, str)
            and getattr(node.lhs, "target", None) is path
        ):
            continue
        join = query.alias_map.get(node.lhs.alias)
        if getattr(join, "join_field", None) is unit_field and join.parent_alias == base:
            found.append(node.rhs)
    return max(found, key=len, default=None)


def get_visible_or_404(queryset: QuerySet[M], user, **lookup) -> M:
    """One record that ``user`` may read, or Http404 (also when it exists elsewhere)."""
    try:
        return visible(queryset, user).get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


def can_see_unit(user, unit: Unit) -> bool:
    from patroli.units.models import Unit

    return visible(Unit.objects.filter(pk=unit.pk), user).exists()
