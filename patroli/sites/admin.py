from django.contrib import admin

from patroli.audit.adminlog import AuditedModelAdmin

from .models import Site


@admin.register(Site)
class SiteAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "village", "unit", "tps_number", "voters"]
    list_filter = ["kind", "unit"]
    search_fields = ["name", "village__search_name"]
    raw_id_fields = ["village"]
    autocomplete_fields = ["unit"]
    list_select_related = ["village", "unit"]
