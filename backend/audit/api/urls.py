from django.urls import path

from audit.api.views import AuditEntryListView

urlpatterns = [path("audit-entries/", AuditEntryListView.as_view(), name="audit-entry-list")]
