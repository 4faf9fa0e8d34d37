from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from ninja import Router, Schema, Status
from ninja.errors import AuthenticationError
from ninja.pagination import paginate

from patroli.audit.logins import record_lockout
from patroli.core.access import visible
from patroli.core.ratelimit import LoginGuard, client_ip

from . import twofactor
from .auth import AUTH
from .models import Unit
from .services import issue_token as issue_api_token

router = Router(tags=["units"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""
    # The authenticator app's code (or a recovery code), for users with two-factor authentication.
    otp: str = ""


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


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: LockedOut, 403: LockedOut, 429: LockedOut},
    tags=["auth"],
)
def issue_token(request, payload: TokenIn):
    """Exchange a username and password for a bearer token. Locked for a while after repeated
    failures, like the login page. A user with two-factor authentication also sends ``otp``, the
    code of the authenticator app; a user whose role requires it and who has not enrolled gets
    403 until they have (on the web, under Account)."""
    guard = LoginGuard(payload.username, client_ip(request))
    if guard.locked:
        return Status(429, {"detail": "Too many failed attempts. Try again in a few minutes."})
    user = authenticate(request, username=payload.username, password=payload.password)
    # A wrong or missing code fails like a wrong password (counted, in the audit trail).
    wrong_code = (
        user is not None
        and user.is_active
        and twofactor.enrolled(user)
        and not twofactor.verify(user, payload.otp)
    )
    if wrong_code:
        user_login_failed.send(
            sender=__name__, credentials={"username": payload.username}, request=request
        )
    if wrong_code or user is None or not user.is_active:
        guard.failed()
        if guard.locked:
            record_lockout(username=payload.username, request=request, minutes=guard.seconds // 60)
        if wrong_code:
            raise AuthenticationError(message="Invalid or missing one-time code (otp)")
        raise AuthenticationError(message="Invalid username or password")
    guard.succeeded()
    if twofactor.needs_enrolment(user):
        return Status(
            403, {"detail": "Your role requires two-factor authentication: set it up first."}
        )
    token, raw = issue_api_token(user=user, name=payload.name or "api")
    return {"token": raw, "expires_at": token.expires_at.isoformat()}


@router.get("/me", auth=AUTH, response=MeOut)
def me(request):
    return request.auth


@router.get("/units", auth=AUTH, response=list[UnitOut])
@paginate
def list_units(request):
    return visible(Unit.objects.all(), request.auth)
