"""The shipped boundary layer of the demo map."""

import json


def test_sepaku_boundaries_are_served(client):
    response = client.get("/peta/batas/64.09.04.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    shapes = json.loads(b"".join(response.streaming_content))
    assert shapes["type"] == "FeatureCollection"
    villages = [f for f in shapes["features"] if f["properties"]["tingkat"] == 4]
    assert len(villages) == 15


def test_other_districts_have_no_shipped_boundaries(client):
    assert client.get("/peta/batas/64.09.01.geojson").status_code == 404
