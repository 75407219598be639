from django.contrib import admin

from catalog.models import CatalogSyncState, Procedure, ProcedureDoctor, ProcedureWard, TestPackageItem


class ProcedureWardInline(admin.TabularInline):
    model = ProcedureWard
    extra = 0
    autocomplete_fields = []


class ProcedureDoctorInline(admin.TabularInline):
    model = ProcedureDoctor
    extra = 0
    raw_id_fields = ["doctor"]


class TestPackageItemInline(admin.TabularInline):
    model = TestPackageItem
    extra = 0
    ordering = ["position"]


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "grade", "incision_class", "department", "is_active", "source"]
    list_filter = ["grade", "incision_class", "is_active", "source", "department"]
    search_fields = ["code", "name"]
    inlines = [ProcedureWardInline, ProcedureDoctorInline, TestPackageItemInline]
    readonly_fields = ["his_synced_at", "his_removed_at", "test_package_pushed_at", "test_package_his_id"]


@admin.register(CatalogSyncState)
class CatalogSyncStateAdmin(admin.ModelAdmin):
    list_display = ["source", "version", "checked_at", "changed_at"]
    readonly_fields = ["source", "version", "checked_at", "changed_at", "last_result"]
