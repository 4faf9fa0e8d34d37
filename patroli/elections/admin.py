from django.contrib import admin

from patroli.audit.adminlog import AuditedModelAdmin

from .models import Incident, RiskBaseline, RiskScore, Stage


@admin.register(Stage)
class StageAdmin(AuditedModelAdmin):
    list_display = ["election", "name", "kind", "starts_on", "ends_on", "region"]
    list_filter = ["election", "kind"]
    raw_id_fields = ["region"]


@admin.register(Incident)
class IncidentAdmin(AuditedModelAdmin):
    list_display = ["kind", "severity", "status", "occurred_at", "village", "unit"]
    list_filter = ["kind", "severity", "status", "unit"]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["site", "village", "visit", "recorded_by"]


@admin.register(RiskBaseline)
class RiskBaselineAdmin(AuditedModelAdmin):
    list_display = [
        "region",
        "social_political",
        "administration",
        "contestation",
        "participation",
        "source",
    ]
    raw_id_fields = ["region"]
    search_fields = ["region__code", "region__search_name"]


@admin.register(RiskScore)
class RiskScoreAdmin(AuditedModelAdmin):
    list_display = ["site", "village", "unit", "score", "level", "computed_at"]
    list_filter = ["level", "unit"]
    raw_id_fields = ["site", "village"]
    readonly_fields = ["factors", "computed_at"]
