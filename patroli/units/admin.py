from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Officer, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "code", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    raw_id_fields = ["regions"]
    readonly_fields = ["path"]


@admin.register(Officer)
class OfficerAdmin(UserAdmin):
    list_display = ["username", "rank", "first_name", "last_name", "role", "unit", "is_active"]
    list_filter = ["role", "unit__level", "is_active", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "nrp"]
    autocomplete_fields = ["unit"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Police"), {"fields": ["rank", "nrp", "position", "unit", "role"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        (_("Police"), {"fields": ["rank", "nrp", "position", "unit", "role"]}),
    ]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "created_at", "expires_at", "last_used_at"]
    search_fields = ["user__username", "name"]
    readonly_fields = ["user", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # tokens are issued through the API, which shows the secret once
