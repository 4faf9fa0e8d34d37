"""Schemathesis fuzzes every operation of /api/v1/ from the OpenAPI document the app serves.

Each operation gets its explicit examples, schemathesis' coverage cases (boundary and invalid
values) and at most 25 generated cases, valid and invalid, derandomized (a fixed seed) so that CI
sends the same requests each run. Every answer must be no 5xx, a status the operation documents,
with the documented content type, headers and body schema; a method a path does not take
answers 405 with Allow, and the same request without the token is refused.

The requests go through the WSGI app in this process, inside the test's transaction (the
`world` fixture): every operation as an officer of Polsek Sepaku with a bearer token, the ones
officers are refused (drafting, releases, moderation, plans) once more as the Kapolsek so that
their code runs too, and a few once more without any token.

Checks left out, and why:
- negative_data_rejection (a request the schema forbids must get a 4xx): django-ninja validates
  with pydantic's lax mode, which takes a number as a Unix time for a date or date-time
  parameter (`GET /visits?until=0.5`, `GET /plans?date=0`). Harmless, and refusing it would
  change the contract for clients; any other invalid request gets a documented 4xx, which the
  status code check verifies.
- positive_data_acceptance (a request the schema allows must get a 2xx): validity here depends
  on the database (a site that exists and is visible, a category code, a date not past), and a
  record of another unit answers 404 by design (core/access.py). NUL characters, which the
  schema's strings allow, answer 422 (core/api_errors.py).
- use_after_free, ensure_resource_availability, object_level_authorization: stateful checks,
  for links between operations that the document does not declare.
"""

from collections import Counter, defaultdict

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from patroli.units.models import ApiToken

MAX_EXAMPLES = 25
SEED = 20240123
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    missing_required_header,  # a request without a required header is refused (4xx)
    unsupported_method,  # a method the path does not take answers 405 with Allow
    allow_header_conformance,
    ignored_auth,  # the same request without the token is refused
]
FUZZ = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # Slow or filtered data is expected from a schema-driven generator; the counts say what ran.
    suppress_health_check=list(hypothesis.HealthCheck),
)
# Operations an officer is refused (403): they run again as the Kapolsek.
COMMANDER_ONLY = [
    "/api/v1/visits/{visit_id}/draft-release",
    "/api/v1/releases",
    "/api/v1/releases/{release_id}",
    "/api/v1/releases/{release_id}/publish",
    "/api/v1/comments/{comment_id}/moderate",
    "/api/v1/plans",
    "/api/v1/plans/{plan_id}/approve",
]
# Operations anyone may call, and a few that need a token: fuzzed once more without any.
ANONYMOUS = [
    "/api/v1/auth/token",
    "/api/v1/public/releases",
    "/api/v1/public/releases/{slug}",
    "/api/v1/public/releases/{slug}/comments",
    "/api/v1/me",
    "/api/v1/visits",
    "/api/v1/sync",
    "/api/v1/concerns/{concern_id}",
]

CONFIG = schemathesis.Config.from_dict({"seed": SEED})
# Loaded through the app itself, at collection (the document needs no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler(), config=CONFIG)
# Per test: requests per (operation, phase), reported at the end of the module.
counts: defaultdict[str, Counter] = defaultdict(Counter)


@pytest.fixture(scope="module", autouse=True)
def report_counts(request):
    counts.clear()
    yield
    plugins = request.config.pluginmanager
    with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
        plugins.get_plugin("terminalreporter").ensure_newline()
        for test, per_case in counts.items():
            operations = {label for label, _ in per_case}
            phases = Counter()
            for (_, phase), n in per_case.items():
                phases[phase] += n
            plugins.get_plugin("terminalreporter").write_line(
                f"schemathesis, {test}: {len(operations)} operations × at most {MAX_EXAMPLES} "
                f"generated = {phases['fuzzing']} generated, + {phases['coverage']} coverage "
                f"and {phases['examples']} explicit cases: {phases.total()} requests"
            )


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Like Django's test client: the end of a request must not close the test's connection
    (and with it the transaction that holds the fixtures)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def bearer(user) -> dict:
    _, raw = ApiToken.issue(user, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def officer(world):
    return bearer(world.officer)


@pytest.fixture
def kapolsek(world, settings):
    settings.PATROLI_PLAN_TIME_LIMIT_S = 0.2  # the solver's limit: 25 plans, not 25 × 3 s
    return bearer(world.kapolsek)


def call(test: str, case, headers: dict | None = None) -> None:
    phase = case.meta.phase.name.value if case.meta else "examples"
    counts[test][case.operation.label, phase] += 1
    case.call_and_validate(headers=headers, checks=CHECKS)


# Invalid usernames and passwords go into cache keys, which Django warns memcached would refuse;
# our caches are local memory and Redis, which take any key.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning"),
]


@schema.parametrize()
@FUZZ
def test_api_as_an_officer(case, officer):
    call("as an officer", case, officer)


@schema.include(path=COMMANDER_ONLY).parametrize()
@FUZZ
def test_api_as_the_kapolsek(case, kapolsek):
    call("as the Kapolsek", case, kapolsek)


@schema.include(path=ANONYMOUS).parametrize()
@FUZZ
def test_api_without_a_token(case, world):
    # The schema's session cookie may be generated: it must not log anyone in either.
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    call("without a token", case)
