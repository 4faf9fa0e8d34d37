"""Two-factor authentication: enrolment with a real authenticator code, the second step of the
login, recovery codes, the roles that must enrol, the token endpoint, and the admin's login."""

import time

import pyotp
import pytest
from django.test import Client

from conftest import PASSWORD
from patroli.audit.models import AuditEvent
from patroli.units import services, twofactor
from patroli.units.models import RecoveryCode, TwoFactor

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def next_code(secret: str) -> str:
    """The code of the next 30-second step, which the server accepts too (a phone's clock may
    be ahead): a second real code within the same step, since a code is never accepted twice."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def password_step(client, username="kasiyono", next_url="", ip="10.0.0.1"):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/masuk/", data, REMOTE_ADDR=ip)


@pytest.fixture
def enrolled(world):
    """The Kapolsek with the app set up; his recovery codes."""
    secret = twofactor.new_secret()
    codes = services.enable_two_factor(user=world.kapolsek, secret=secret)
    world.secret, world.codes = secret, codes
    return world


def test_enrolment_with_a_code_from_the_app(world):
    client = logged_in(world.kapolsek)
    page = client.get("/app/akun/2fa/")
    assert page.status_code == 200
    html = page.content.decode()
    secret = client.session["patroli_2fa_secret"]
    assert twofactor.grouped(secret) in html
    assert "otpauth://totp/Patroli:kasiyono?secret=" + secret in html
    assert 'src="data:image/svg+xml' in html  # the QR code
    assert page["Cache-Control"].startswith("max-age=0")  # never_cache: the secret is shown

    # An hour-old code is wrong.
    wrong = client.post("/app/akun/2fa/", {"code": pyotp.TOTP(secret).at(time.time() - 3600)})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    assert not TwoFactor.objects.filter(user=world.kapolsek).exists()

    done = client.post("/app/akun/2fa/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert code in done.content.decode()
    device = TwoFactor.objects.get(user=world.kapolsek)
    assert device.secret == secret
    # Stored as keyed hashes, never as they were shown.
    stored = set(
        RecoveryCode.objects.filter(user=world.kapolsek).values_list("code_hash", flat=True)
    )
    assert len(stored) == 10 and not stored & set(codes)
    assert "patroli_2fa_secret" not in client.session
    assert AuditEvent.objects.filter(action="auth.2fa_enable", actor=world.kapolsek).exists()
    # The page now says it is on, and shows no secret any more.
    page = client.get("/app/akun/2fa/").content.decode()
    assert secret not in page and "10" in page


def test_login_asks_for_the_code_after_the_password(enrolled):
    client = Client()
    response = password_step(client, next_url="/app/aduan/")
    assert response.status_code == 302 and response["Location"] == "/masuk/kode/"
    # Not logged in yet: the app still sends to the login page.
    assert client.get("/app/").status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/masuk/kode/").status_code == 200

    code = pyotp.TOTP(TwoFactor.objects.get(user=enrolled.kapolsek).secret).now()
    response = client.post("/masuk/kode/", {"code": code}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302 and response["Location"] == "/app/aduan/"
    assert client.get("/app/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.login", actor=enrolled.kapolsek).count() == 1

    # The same code a second time (seen over a shoulder) is refused.
    other = Client()
    password_step(other)
    response = other.post("/masuk/kode/", {"code": code})
    assert response.status_code == 200 and "_auth_user_id" not in other.session


def test_wrong_codes_count_as_failed_logins_and_lock(enrolled, settings):
    settings.PATROLI_LOGIN_FAILURES = 3
    client = Client()
    password_step(client)
    for _ in range(3):
        response = client.post("/masuk/kode/", {"code": "12345"}, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 200
    # Locked: even the right code waits, and a right password does not clear the count.
    right = pyotp.TOTP(enrolled.secret).now()
    assert client.post("/masuk/kode/", {"code": right}).status_code == 429
    assert password_step(Client(), ip="10.0.0.2").status_code == 429
    failed = AuditEvent.objects.filter(action="auth.login_failed", actor_username="kasiyono")
    assert failed.count() == 3
    assert AuditEvent.objects.filter(action="auth.lockout").count() == 1


def test_the_code_step_expires(enrolled):
    client = Client()
    password_step(client)
    session = client.session
    session["patroli_login_pending"]["at"] -= 301
    session.save()
    response = client.post("/masuk/kode/", {"code": pyotp.TOTP(enrolled.secret).now()})
    assert response.status_code == 302 and response["Location"] == "/masuk/"
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_logs_in_once(enrolled):
    code = enrolled.codes[3]
    client = Client()
    password_step(client)
    response = client.post("/masuk/kode/", {"code": code.upper().replace("-", " ")}, follow=True)
    assert response.redirect_chain[0][1] == 302
    assert "_auth_user_id" in client.session
    assert "9" in response.content.decode()  # codes left, said in the message
    again = Client()
    password_step(again)
    assert again.post("/masuk/kode/", {"code": code}).status_code == 200
    assert "_auth_user_id" not in again.session


def test_new_recovery_codes_and_turning_off_need_a_code(enrolled):
    client = logged_in(enrolled.kapolsek)
    client.post("/app/akun/2fa/kode-cadangan/", {"code": "12345"})
    assert RecoveryCode.objects.filter(user=enrolled.kapolsek).count() == 10
    response = client.post("/app/akun/2fa/kode-cadangan/", {"code": enrolled.codes[0]})
    assert response.status_code == 200 and len(response.context["codes"]) == 10
    assert not set(response.context["codes"]) & set(enrolled.codes)
    # The old codes no longer work.
    assert twofactor.verify(enrolled.kapolsek, enrolled.codes[1]) is None

    client.post("/app/akun/2fa/matikan/", {"code": "12345"})
    assert TwoFactor.objects.filter(user=enrolled.kapolsek).exists()
    client.post("/app/akun/2fa/matikan/", {"code": pyotp.TOTP(enrolled.secret).now()})
    assert not TwoFactor.objects.filter(user=enrolled.kapolsek).exists()
    assert not RecoveryCode.objects.filter(user=enrolled.kapolsek).exists()
    assert AuditEvent.objects.filter(action="auth.2fa_disable").count() == 1
    # Now the password alone logs in.
    assert password_step(Client())["Location"] == "/app/"


def test_required_roles_must_enrol_before_anything_else(world, settings):
    settings.PATROLI_2FA_REQUIRED_ROLES = ["commander", "admin"]
    client = Client()
    response = password_step(client)
    assert response.status_code == 302  # the password is enough: there is nothing to ask yet
    for url in ("/app/", "/app/aduan/", "/app/akun/token/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/app/akun/2fa/", url
    assert client.get("/api/v1/me").status_code == 403
    page = client.get("/app/akun/2fa/")
    assert page.status_code == 200
    secret = client.session["patroli_2fa_secret"]
    # The service worker, the language and logging out stay open.
    assert client.get("/app/sw.js").status_code == 200
    client.post("/app/akun/2fa/", {"code": pyotp.TOTP(secret).now()})
    assert client.get("/app/").status_code == 200
    # Turning it off is not offered to them.
    client.post("/app/akun/2fa/matikan/", {"code": next_code(secret)})
    assert TwoFactor.objects.filter(user=world.kapolsek).exists()
    # Officers are not concerned; superusers count as admin.
    assert logged_in(world.officer).get("/app/hari-ini/").status_code == 200
    assert logged_in(world.admin).get("/admin/")["Location"] == "/app/akun/2fa/"


def test_token_endpoint_wants_the_code_too(enrolled, settings):
    def token(**extra):
        data = {"username": "kasiyono", "password": PASSWORD, **extra}
        return Client().post("/api/v1/auth/token", data, content_type="application/json")

    missing = token()
    assert missing.status_code == 401 and "otp" in missing.json()["detail"]
    assert token(otp="12345").status_code == 401
    assert token(otp=pyotp.TOTP(enrolled.secret).now()).status_code == 200
    assert token(otp=enrolled.codes[0]).status_code == 200
    # A commander who must enrol and has not: no token until then.
    settings.PATROLI_2FA_REQUIRED_ROLES = ["commander"]
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "kapolres.ppu", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 403
    # Tokens already issued keep working, whatever the setting.
    _, raw = services.issue_token(user=enrolled.commander, name="laptop")
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200


def test_admin_login_page_goes_through_ours(enrolled):
    response = Client().get("/admin/login/?next=/admin/units/unit/")
    assert response.status_code == 302
    assert response["Location"] == "/masuk/?next=%2Fadmin%2Funits%2Funit%2F"


def test_admin_turns_it_off_for_a_lost_phone(enrolled):
    client = logged_in(enrolled.admin)
    response = client.post(
        "/admin/units/officer/",
        {"action": "turn_off_two_factor", "_selected_action": [enrolled.kapolsek.pk]},
    )
    assert response.status_code == 302
    assert not TwoFactor.objects.filter(user=enrolled.kapolsek).exists()
    event = AuditEvent.objects.get(action="auth.2fa_disable")
    assert event.actor == enrolled.admin
