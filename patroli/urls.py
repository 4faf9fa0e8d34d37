from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from patroli.api import api
from patroli.core import views as core_views
from patroli.newsroom.views import ReleaseSitemap
from patroli.regions import views as region_views
from patroli.units import views as unit_views
from patroli.units.views import LoginView

admin.site.site_header = _("Patroli administration")
admin.site.site_title = _("Patroli")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", include("patroli.portal.urls")),
    path("app/", include("patroli.dashboard.urls")),
    path("app/", include("patroli.patrols.urls_offline")),
    path("app/", include("patroli.patrols.urls")),
    path("app/aduan/", include("patroli.concerns.urls")),
    path("app/berita/", include("patroli.newsroom.urls")),
    path("app/insiden/", include("patroli.elections.urls")),
    path("app/risiko/", include("patroli.elections.urls_risk")),
    path("app/rencana/", include("patroli.patrols.urls_plans")),
    path("app/akun/", include("patroli.units.urls")),
    path("berita/", include("patroli.newsroom.urls_public")),
    path(
        "sitemap.xml",
        sitemap_views.sitemap,
        {"sitemaps": {"berita": ReleaseSitemap}},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("open311/v2/", include("patroli.concerns.open311_urls")),
    path("masuk/", LoginView.as_view(), name="login"),
    path("masuk/kode/", unit_views.LoginCodeView.as_view(), name="login-code"),
    path("masuk/lupa/", unit_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "masuk/lupa/terkirim/",
        unit_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "masuk/lupa/<uidb64>/<token>/",
        unit_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "masuk/lupa/selesai/",
        unit_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    # Before the admin's own: its login page would skip the second factor.
    path("admin/login/", unit_views.admin_login),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("peta/batas/<str:code>.geojson", region_views.boundaries, name="boundaries"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
if settings.PATROLI_BENCH_URLS:
    # The floor a write endpoint is measured against (benchmarks/suite.py); never in production.
    from patroli.core import bench_views

    urlpatterns.append(path("bench/visit", bench_views.one_insert, name="bench-visit"))
