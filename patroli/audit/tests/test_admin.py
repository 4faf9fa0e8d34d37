"""The trail in the Django admin: superusers browse, filter, search and verify it; nobody, a
superuser included, can add, change or delete an event; other staff do not see it at all."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from patroli.audit import services as audit
from patroli.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
LIST = "/admin/audit/auditevent/"


@pytest.fixture
def trail(world):
    audit.record(world.kapolsek, "concern.move", world.pps_bumi, after={"status": "verified"})
    audit.record(world.humas, "release.publish", world.polres, after={"status": "published"})
    audit.record(None, "auth.login_failed", world.officer, username="bhabin.bumiharapan")
    return world


def admin_client(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def test_superusers_browse_filter_and_search(trail):
    client = admin_client(trail.admin)
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "concern.move" in html and "release.publish" in html
    assert "Verify the chain" in html
    by_action = client.get(LIST, {"action": "release.publish"}).content.decode()
    assert "release.publish (release published)" in by_action and "concern.move (" not in by_action
    by_actor = client.get(LIST, {"actor__id__exact": trail.kapolsek.pk}).content.decode()
    assert "concern.move (" in by_actor and "release.publish (" not in by_actor
    by_unit = client.get(LIST, {"unit__id__exact": trail.polres.pk}).content.decode()
    assert "release.publish (" in by_unit and "concern.move (" not in by_unit
    by_name = client.get(LIST, {"q": "bhabin"}).content.decode()
    assert "auth.login_failed (" in by_name and "concern.move (" not in by_name
    by_object = client.get(LIST, {"q": str(trail.pps_bumi.pk)}).content.decode()
    assert "concern.move (" in by_object
    assert client.get(LIST, {"time__gte": "2000-01-01 00:00:00+08:00"}).status_code == 200


def test_read_only_for_superusers_too(trail):
    client = admin_client(trail.admin)
    event = AuditEvent.objects.get(action="concern.move")
    detail = client.get(f"{LIST}{event.pk}/change/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "&quot;status&quot;: &quot;verified&quot;" in html and event.hash in html
    assert 'name="_save"' not in html
    assert client.post(f"{LIST}{event.pk}/change/", {"action": "x"}).status_code == 403
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    # No delete action on the list either.
    response = client.post(LIST, {"action": "delete_selected", "_selected_action": [event.pk]})
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert response.status_code in (200, 302)


def test_other_staff_do_not_see_it(trail):
    staff = trail.commander
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="audit"))
    client = admin_client(staff)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}verify/").status_code in (302, 403)
    assert "audit" not in client.get("/admin/").content.decode().lower()


def test_the_verify_page(trail):
    client = admin_client(trail.admin)
    page = client.get(f"{LIST}verify/").content.decode()
    # Three events, and the login of the admin client itself.
    assert "OK, 4 events" in page
    AuditEvent.objects.filter(pk=2).update(after={"status": "draft"})
    page = client.get(f"{LIST}verify/").content.decode()
    assert "BROKEN at event 2" in page and "hash mismatch" in page
    assert f"{LIST}2/change/" in page


def test_the_verify_page_speaks_indonesian_by_default(trail):
    client = Client()
    client.force_login(trail.admin)
    page = client.get(f"{LIST}verify/").content.decode()
    assert "OK, 4 peristiwa" in page
