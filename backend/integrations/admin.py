from django.contrib import admin

from .models import ExternalCall


@admin.register(ExternalCall)
class ExternalCallAdmin(admin.ModelAdmin):
    list_display = ("created_at", "port", "operation", "status", "http_status", "attempts", "duration_ms")
    list_filter = ("port", "status")
    search_fields = ("idempotency_key", "operation")
    readonly_fields = [f.name for f in ExternalCall._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
