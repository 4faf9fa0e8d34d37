from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import router, transaction
from django.utils.translation import gettext_lazy as _

from patroli.audit.adminlog import AuditedAdmin, AuditedModelAdmin

from .models import ApiToken, Officer, Unit
from .services import disable_two_factor, revoke_tokens


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["name", "level", "code", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    raw_id_fields = ["regions"]
    readonly_fields = ["path"]


@admin.register(Officer)
class OfficerAdmin(AuditedAdmin, UserAdmin):
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

    actions = ["turn_off_two_factor"]

    @admin.action(
        description=_("Turn off two-factor authentication (lost phone)"),
        permissions=["change"],
    )
    def turn_off_two_factor(self, request, queryset):
        count = sum(disable_two_factor(user=user, actor=request.user) for user in queryset)
        self.message_user(
            request,
            _("Two-factor authentication turned off for %(count)d officer(s).") % {"count": count},
        )

    def user_change_password(self, request, id, form_url=""):
        # The new password and its audit event are saved together (Django's view is not atomic).
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().user_change_password(request, id, form_url)


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    list_display = ["user", "name", "created_at", "expires_at", "last_used_at"]
    search_fields = ["user__username", "name"]
    readonly_fields = ["user", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # tokens are issued through the API, which shows the secret once

    # Deleting a token revokes it: the trail says so ("token.revoke"), once per token.
    def delete_model(self, request, obj):
        revoke_tokens(tokens=[obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        revoke_tokens(tokens=queryset.select_related("user"), actor=request.user)
