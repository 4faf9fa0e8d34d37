from django.contrib.auth import authenticate
from ninja import Router, Schema
from ninja.errors import AuthenticationError
from ninja.pagination import paginate

from patroli.core.access import visible
from patroli.core.ratelimit import LoginGuard, client_ip

from .auth import AUTH
from .models import ApiToken, Unit

router = Router(tags=["units"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
    expires_at: str


class UnitOut(Schema):
    id: int
    code: str
    name: str
    level: str
    parent: int | None = None

    @staticmethod
    def resolve_parent(obj) -> int | None:
        return obj.parent_id


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    rank: str
    nrp: str
    position: str
    unit: UnitOut | None

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.get_full_name()


class LockedOut(Schema):
    detail: str


@router.post("/auth/token", auth=None, response={200: TokenOut, 429: LockedOut}, tags=["auth"])
def issue_token(request, payload: TokenIn):
    """Exchange a username and password for a bearer token. Locked for a while after repeated
    failures, like the login page."""
    guard = LoginGuard(payload.username, client_ip(request))
    if guard.locked:
        return 429, {"detail": "Too many failed attempts. Try again in a few minutes."}
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None or not user.is_active:
        guard.failed()
        raise AuthenticationError(message="Invalid username or password")
    guard.succeeded()
    token, raw = ApiToken.issue(user, name=payload.name or "api")
    return {"token": raw, "expires_at": token.expires_at.isoformat()}


@router.get("/me", auth=AUTH, response=MeOut)
def me(request):
    return request.auth


@router.get("/units", auth=AUTH, response=list[UnitOut])
@paginate
def list_units(request):
    return visible(Unit.objects.all(), request.auth)
