from django.contrib import admin

from patroli.audit.adminlog import AuditedModelAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "level", "postal_code"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "search_name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["search_name"]
    show_full_result_count = False
