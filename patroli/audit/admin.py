import json

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .adminlog import AuditedAdmin
from .models import ACTIONS, AuditEvent
from .services import verify_chain


class ActionFilter(admin.SimpleListFilter):
    """The known actions, without reading the whole table for its distinct values."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return sorted(ACTIONS.items())

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


def _pretty(data) -> str:
    if not data:
        return "-"
    return format_html("<pre>{}</pre>", json.dumps(data, indent=2, ensure_ascii=False))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included; only superusers see it at all."""

    list_display = ["id", "time", "action_label", "who", "object_type", "object_id", "unit", "ip"]
    list_filter = [
        ActionFilter,
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("unit", admin.RelatedOnlyFieldListFilter),
        "time",
    ]
    list_select_related = ["unit"]
    date_hierarchy = "time"
    search_fields = ["=object_id", "actor_username"]
    show_full_result_count = False
    fields = [
        "id",
        "time",
        "action",
        "actor_username",
        "actor_number",
        "object_type",
        "object_id",
        "unit_number",
        "before_data",
        "after_data",
        "ip",
        "user_agent",
        "prev_hash",
        "hash",
    ]
    readonly_fields = fields
    change_list_template = "admin/audit/auditevent/change_list.html"

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, event):
        label = ACTIONS.get(event.action)
        return f"{event.action} ({label})" if label else event.action

    @admin.display(description=_("who"), ordering="actor_username")
    def who(self, event):
        return event.actor_username or "-"

    @admin.display(description=_("actor's id"))
    def actor_number(self, event):
        return event.actor_id or "-"

    @admin.display(description=_("unit's id"))
    def unit_number(self, event):
        return event.unit_id or "-"

    @admin.display(description=_("before"))
    def before_data(self, event):
        return _pretty(event.before)

    @admin.display(description=_("after"))
    def after_data(self, event):
        return _pretty(event.after)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        verify = path(
            "verify/",
            self.admin_site.admin_view(self.verify_view),
            name="audit_auditevent_verify",
        )
        return [verify, *super().get_urls()]

    def verify_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Verify the audit trail"),
            "opts": self.model._meta,
            "result": verify_chain(),
        }
        return TemplateResponse(request, "admin/audit/auditevent/verify.html", context)


# Groups carry permissions: their changes belong in the trail like the project's own models.
admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    pass
