"""core.access: who sees which unit's records. Every page and endpoint relies on this."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from patroli.core.access import can_see_unit, get_visible_or_404, visible
from patroli.regions.models import Region
from patroli.sites.models import Site
from patroli.units.models import Officer, Unit

pytestmark = pytest.mark.django_db


def codes(user):
    return set(visible(Unit.objects.all(), user).values_list("code", flat=True))


def site_names(user):
    return set(visible(Site.objects.all(), user).values_list("name", flat=True))


def test_units_per_persona(world):
    assert codes(world.officer) == {"polsek-sepaku"}
    assert codes(world.kapolsek) == {"polsek-sepaku"}
    assert codes(world.other_officer) == {"polsek-penajam"}
    assert codes(world.commander) == {"polres-ppu", "polsek-sepaku", "polsek-penajam"}
    assert codes(world.humas) == {"polres-ppu", "polsek-sepaku", "polsek-penajam"}
    assert codes(world.admin) == {"polda-kaltim", "polres-ppu", "polsek-sepaku", "polsek-penajam"}
    assert codes(world.no_unit) == set()
    assert codes(AnonymousUser()) == set()


def test_sites_per_persona(world):
    sepaku = {"Kantor PPS Desa Bumi Harapan", "TPS 001 Desa Bumi Harapan"}
    assert site_names(world.officer) == sepaku
    assert site_names(world.other_officer) == {"Kantor PPS Kelurahan Petung"}
    assert site_names(world.commander) == sepaku | {"Kantor PPS Kelurahan Petung"}


def test_within_narrows_to_a_subtree_and_never_widens(world):
    def within(user, unit):
        return set(visible(Unit.objects.all(), user, within=unit).values_list("code", flat=True))

    sepaku, penajam = world.sepaku, Unit.objects.get(code="polsek-penajam")
    assert within(world.commander, sepaku) == {"polsek-sepaku"}  # deeper: narrowed
    assert within(world.commander, world.polres) == codes(world.commander)
    assert within(world.officer, world.polres) == {"polsek-sepaku"}  # above: still its own
    assert within(world.officer, penajam) == set()  # another branch
    assert within(world.admin, penajam) == {"polsek-penajam"}  # superuser: the subtree
    assert within(world.no_unit, world.polres) == set()
    assert within(AnonymousUser(), world.polres) == set()


def test_within_is_one_condition_on_the_path(world):
    """Two path conditions (the user's subtree, then the scope's) made PostgreSQL estimate a
    Polda's units as a tenth of what they are and choose a slow plan for the dashboard."""
    sql = str(visible(Site.objects.all(), world.commander, within=world.sepaku).query)
    # A LIKE on PostgreSQL; on SQLite the range of the paths (units.models.PathStartsWith).
    conditions = sql.count("LIKE") + sql.count('"path" >=')
    assert conditions == 1, sql


def test_inactive_user_sees_nothing(world):
    world.commander.is_active = False
    world.commander.save()
    assert codes(world.commander) == set()


def test_sibling_with_common_prefix_is_not_in_the_subtree(world):
    # "polsek-sepaku2/" must not fall under "polsek-sepaku/" although the codes share a prefix.
    twin = Unit.objects.create(
        code="polsek-sepaku2", name="Twin", level="polsek", parent=world.polres
    )
    assert "polsek-sepaku2" not in codes(world.officer)
    assert can_see_unit(world.commander, twin)
    assert not can_see_unit(world.officer, twin)


def test_a_unit_coded_in_capitals_is_another_subtree(world):
    """Codes are unique as written, so "POLSEK-SEPAKU" is another unit. SQLite's LIKE ignores
    case: the gate once gave Sepaku's officer this one's records on SQLite (not on PostgreSQL)."""
    shouting = Unit.objects.create(
        code="POLSEK-SEPAKU", name="Polsek Lain", level="polsek", parent=world.polres
    )
    site = Site.objects.create(
        name="Pasar Lain", kind=Site.Kind.MARKET, village_id="64.09.04.2004", unit=shouting
    )
    assert codes(world.officer) == {"polsek-sepaku"}
    assert "Pasar Lain" not in site_names(world.officer)
    assert not can_see_unit(world.officer, shouting)
    with pytest.raises(Http404):
        get_visible_or_404(Site.objects.all(), world.officer, pk=site.pk)
    assert "Pasar Lain" in site_names(world.commander)  # its own Polres still sees it


def test_get_visible_or_404(world):
    assert get_visible_or_404(Site.objects.all(), world.officer, pk=world.pps_bumi.pk)
    with pytest.raises(Http404):
        get_visible_or_404(Site.objects.all(), world.officer, pk=world.pps_penajam.pk)
    with pytest.raises(Http404):
        get_visible_or_404(Site.objects.all(), world.officer, pk="not-a-number")


def test_moving_a_unit_moves_its_subtree(world):
    polda2 = Unit.objects.create(code="polda-x", name="Polda X", level="polda")
    world.polres.parent = polda2
    world.polres.save()
    world.sepaku.refresh_from_db()
    assert world.sepaku.path == "polda-x/polres-ppu/polsek-sepaku/"
    polda_commander = Officer.objects.create(username="kapolda", unit=polda2, role="commander")
    assert "polsek-sepaku" in codes(polda_commander)


def test_model_without_declared_scope_is_refused(world):
    with pytest.raises(TypeError):
        visible(Region.objects.all(), world.officer)


def test_responsible_unit_is_the_deepest(world):
    bumi = Region.objects.get(code="64.09.04.2004")
    assert Unit.objects.responsible_for(bumi) == world.sepaku
    other = Region.objects.get(code="64.09.02")  # a district no Polsek covers here
    assert Unit.objects.responsible_for(other) == world.polres


def test_gated_subtree_names_the_gates_unit_path(world):
    """What core.search narrows a gated search by: the path of the subtree the gate kept the
    rows to, only when every row must lie in it, through the model's own unit."""
    from django.db.models import Q

    from patroli.core.access import gated_subtree
    from patroli.patrols.models import Visit, VisitPhoto

    def subtree(queryset):
        return gated_subtree(queryset)

    assert subtree(visible(Site.objects.all(), world.officer)) == world.sepaku.path
    assert subtree(visible(Site.objects.all(), world.commander)) == world.polres.path
    deeper = visible(Site.objects.all(), world.commander, within=world.sepaku)
    assert subtree(deeper.filter(name__contains="PPS")) == world.sepaku.path
    # Other filters around it change nothing; two subtrees: the deeper one.
    both = visible(visible(Visit.objects.all(), world.commander), world.officer)
    assert subtree(both.filter(site__name__contains="PPS")) == world.sepaku.path
    # No gate: a superuser, or no unit at all (nothing is seen).
    assert subtree(visible(Site.objects.all(), world.admin)) is None
    assert subtree(visible(Site.objects.all(), world.no_unit)) is None
    assert subtree(Site.objects.all()) is None
    # A condition that not every row must meet says nothing of the rows.
    path = world.sepaku.path
    assert subtree(Site.objects.filter(Q(unit__path__startswith=path) | Q(pk=1))) is None
    assert subtree(Site.objects.exclude(unit__path__startswith=path)) is None
    # Through another record (a photo's unit is its visit's), or another unit (the site's,
    # not the visit's own): not the model's own unit column.
    assert subtree(visible(VisitPhoto.objects.all(), world.officer)) is None
    assert subtree(Visit.objects.filter(site__unit__path__startswith=path)) is None
    # The unit of other visits of the same site: joined from them, not from the row.
    assert subtree(Visit.objects.filter(site__visits__unit__path__startswith=path)) is None
    # Nothing to narrow: none().
    assert subtree(visible(Site.objects.all(), world.officer).none()) is None
    # Reading it leaves the query as it was.
    gated = visible(Site.objects.all(), world.officer)
    before = str(gated.query), dict(gated.query.alias_refcount)
    subtree(gated)
    assert (str(gated.query), dict(gated.query.alias_refcount)) == before
    # The units themselves are gated on their own path.
    assert subtree(visible(Unit.objects.all(), world.officer)) is None
