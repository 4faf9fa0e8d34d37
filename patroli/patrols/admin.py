from django.contrib import admin

from patroli.audit.adminlog import AuditedModelAdmin

from .models import Appeal, Dialogue, Participant, Visit, VisitPhoto


@admin.register(Appeal)
class AppealAdmin(AuditedModelAdmin):
    list_display = ["title", "code", "order", "active"]
    list_editable = ["order", "active"]
    search_fields = ["title", "text", "code"]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0


@admin.register(Dialogue)
class DialogueAdmin(AuditedModelAdmin):
    list_display = ["visit", "attendees", "response"]
    raw_id_fields = ["visit"]
    filter_horizontal = ["appeals"]
    inlines = [ParticipantInline]


class DialogueInline(admin.StackedInline):
    model = Dialogue
    extra = 0
    filter_horizontal = ["appeals"]


class VisitPhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    readonly_fields = ["id", "image", "thumbnail", "content_type", "width", "height", "uploaded_at"]

    def has_add_permission(self, request, obj=None):
        return False  # photos come through the API and the form, which strip their metadata


@admin.register(Visit)
class VisitAdmin(AuditedModelAdmin):
    list_display = ["site", "kind", "unit", "started_at", "distance_m", "far_from_site"]
    list_filter = ["kind", "unit", "far_from_site"]
    date_hierarchy = "started_at"
    search_fields = ["site__name"]
    raw_id_fields = ["site", "recorded_by"]
    filter_horizontal = ["officers"]
    readonly_fields = [
        "id",
        "distance_m",
        "far_from_site",
        "created_at",
        "recorded_at",
        "clock_skew_s",
    ]
    list_select_related = ["site", "unit"]
    inlines = [DialogueInline, VisitPhotoInline]
