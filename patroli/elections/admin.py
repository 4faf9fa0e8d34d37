from django.contrib import admin

from .models import Stage


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["election", "name", "kind", "starts_on", "ends_on", "region"]
    list_filter = ["election", "kind"]
    raw_id_fields = ["region"]
