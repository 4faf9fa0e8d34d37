from django.contrib import admin

from patroli.audit.adminlog import AuditedModelAdmin

from .models import Holiday


@admin.register(Holiday)
class HolidayAdmin(AuditedModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"
    search_fields = ["name"]
