"""The benchmark's one-insert view exists only when PATROLI_BENCH_URLS is set."""

import importlib
import json
import uuid
from contextlib import contextmanager

import pytest
from django.test import override_settings
from django.urls import Resolver404, clear_url_caches, resolve

from conftest import api_client
from patroli import urls
from patroli.patrols.models import Visit


@contextmanager
def bench_urls():
    try:
        with override_settings(PATROLI_BENCH_URLS=True):
            importlib.reload(urls)
            clear_url_caches()
            yield
    finally:
        importlib.reload(urls)  # the setting is off again: so is the URL
        clear_url_caches()


def test_absent_unless_asked_for(client):
    with pytest.raises(Resolver404):
        resolve("/bench/visit")
    assert client.post("/bench/visit", "{}", content_type="application/json").status_code == 404


def test_when_asked_for_it_inserts_one_visit_for_a_token_only(world, client):
    body = json.dumps(
        {"id": str(uuid.uuid4()), "site": world.pps_bumi.pk, "started_at": "2024-01-23T09:00+08:00"}
    )
    with bench_urls():
        assert client.post("/bench/visit", body, content_type="application/json").status_code == 401
        response = api_client(world.officer).post(
            "/bench/visit", body, content_type="application/json"
        )
        assert response.status_code == 201
    visit = Visit.objects.get(pk=response.json()["id"])
    assert (visit.site, visit.unit, visit.recorded_by) == (
        world.pps_bumi,
        world.sepaku,
        world.officer,
    )
    with pytest.raises(Resolver404):
        resolve("/bench/visit")
