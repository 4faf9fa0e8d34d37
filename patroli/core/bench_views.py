"""The floor of a write endpoint, for benchmarks/suite.py only: one visit row, one INSERT.

Mounted at ``/bench/visit`` when ``PATROLI_BENCH_URLS`` is set (never in production). It goes
through the same middleware and the same bearer-token check as ``POST /api/v1/visits``, then does
nothing but insert the visit row, so that the API's cost can be read against it.
"""

import json
import uuid
from datetime import datetime

from django.http import HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from patroli.patrols.models import Visit
from patroli.units.auth import BearerAuth

_auth = BearerAuth()


@csrf_exempt  # a bearer token, like the API (django-ninja checks CSRF for sessions only)
def one_insert(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = _auth(request)
    if user is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    body = json.loads(request.body)
    visit = Visit(
        id=uuid.UUID(body["id"]),
        site_id=int(body["site"]),
        unit_id=user.unit_id,
        recorded_by=user,
        started_at=datetime.fromisoformat(body["started_at"]),
        kind=Visit.Kind.DIALOGIC,
    )
    # One INSERT and nothing else (save() would also send post_save, whose receiver moves
    # the site's latest visit: a second statement the floor must not pay).
    Visit.objects.bulk_create([visit])
    return JsonResponse({"id": str(visit.pk)}, status=201)
