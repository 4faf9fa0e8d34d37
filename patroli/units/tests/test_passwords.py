"""Passwords: at least 10 characters, not common, not all digits, not like the user's details,
and without the user name or the unit's code; the messages in Indonesian."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def problems(password, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Pendek-1", "password_too_short"),
        ("password123", "password_too_common"),
        ("8172635495", "password_entirely_numeric"),
        ("Kasiyono-Aman-2024", "password_has_username"),
        ("KASIYONO2024!!", "password_has_username"),
        ("Polsek_Sepaku!2024", "password_has_unit_code"),
        ("aman-polseksepaku", "password_has_unit_code"),
    ],
)
def test_refused(world, password, code):
    assert code in problems(password, world.kapolsek)


def test_accepted(world):
    assert problems("Tenang-Di-Bumi-Harapan-7", world.kapolsek) == []
    # Without a unit (an administrator), only the name matters.
    assert problems("polsek-sepaku-2024-Aman", world.admin) == []


def test_messages_are_translated(world):
    with translation.override("id"), pytest.raises(ValidationError) as caught:
        validate_password("Polsek-Sepaku-24", world.kapolsek)
    assert "kode satuan Anda" in " ".join(caught.value.messages)


def test_the_change_form_applies_them(world):
    client = Client()
    client.force_login(world.kapolsek)
    response = client.post(
        "/app/akun/sandi/",
        {
            "old_password": PASSWORD,
            "new_password1": "kasiyono-123",
            "new_password2": "kasiyono-123",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    new = "Tenang-Di-Bumi-Harapan-7"
    response = client.post(
        "/app/akun/sandi/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302 and response["Location"] == "/app/akun/"
    world.kapolsek.refresh_from_db()
    assert world.kapolsek.check_password(new)
    assert client.get("/app/akun/").status_code == 200  # still logged in
