from django.contrib import admin

from catalog.models import Procedure, ProcedureWard


class ProcedureWardInline(admin.TabularInline):
    model = ProcedureWard
    extra = 0
    autocomplete_fields = []


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "grade", "incision_class", "department", "is_active", "source"]
    list_filter = ["grade", "incision_class", "is_active", "source", "department"]
    search_fields = ["code", "name"]
    inlines = [ProcedureWardInline]
    readonly_fields = ["his_synced_at", "his_removed_at"]
