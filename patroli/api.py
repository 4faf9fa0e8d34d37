"""The JSON API at /api/v1/: one django-ninja router per app."""

from functools import partial

from ninja import NinjaAPI
from ninja.errors import ValidationError

from patroli.concerns.api import router as concerns_router
from patroli.core.api_errors import document_errors, localized_validation_error
from patroli.core.api_json import ORJSONRenderer
from patroli.elections.api import router as elections_router
from patroli.elections.api_risk import router as risk_router
from patroli.newsroom.api import public_router as public_news_router
from patroli.newsroom.api import router as newsroom_router
from patroli.patrols.api import router as patrols_router
from patroli.patrols.api_plans import router as plans_router
from patroli.regions.api import router as regions_router
from patroli.sites.api import router as sites_router
from patroli.units.api import router as units_router


class PatroliAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        # The contract tells every status a client can get, the errors django-ninja gives too.
        return document_errors(super().get_openapi_schema(**kwargs))


api = PatroliAPI(
    title="Patroli API",
    version="1",
    description="Community policing and election security. Authenticate with "
    "`POST /api/v1/auth/token`, then send `Authorization: Bearer <token>`.",
    urls_namespace="api",
    renderer=ORJSONRenderer(),
)
api.add_exception_handler(ValidationError, partial(localized_validation_error, api=api))
api.add_router("", units_router)
api.add_router("", regions_router)
api.add_router("", sites_router)
api.add_router("", patrols_router)
api.add_router("", plans_router)
api.add_router("", concerns_router)
api.add_router("", elections_router)
api.add_router("", risk_router)
api.add_router("", newsroom_router)
api.add_router("", public_news_router)
