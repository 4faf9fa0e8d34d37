from django.urls import path

from . import views

app_name = "account"
urlpatterns = [
    path("", views.account, name="home"),
    path("sandi/", views.PasswordChangeView.as_view(), name="password"),
    path("2fa/", views.two_factor, name="two-factor"),
    path("2fa/kode-cadangan/", views.recovery_codes, name="recovery-codes"),
    path("2fa/matikan/", views.two_factor_off, name="two-factor-off"),
    path("token/", views.tokens, name="tokens"),
    path("token/<int:token_id>/cabut/", views.token_revoke, name="token-revoke"),
]
