from django.urls import path

from scheduling.api import views

urlpatterns = [
    path("theatre-schedule/", views.ScheduleListView.as_view(), name="theatre-schedule"),
    path("theatre-schedule/export.xlsx", views.ScheduleExportView.as_view(), name="theatre-schedule-export"),
    path("theatre-schedule/callbacks/", views.TheatreCallbackView.as_view(), name="theatre-schedule-callback"),
    path("cases/<uuid:uuid>/theatre-applications/", views.CaseApplicationListView.as_view(),
         name="case-theatre-applications"),
    path("cases/<uuid:uuid>/theatre-applications/resubmit/", views.CaseApplicationResubmitView.as_view(),
         name="case-theatre-application-resubmit"),
    path("cases/<uuid:uuid>/theatre-applications/refresh/", views.CaseApplicationRefreshView.as_view(),
         name="case-theatre-application-refresh"),
    path("theatre-schedule-exclusions/", views.ExclusionListCreateView.as_view(), name="theatre-schedule-exclusions"),
    path("theatre-schedule-exclusions/<uuid:uuid>/", views.ExclusionDetailView.as_view(),
         name="theatre-schedule-exclusion"),
    path("theatre-schedule-export-fields/", views.ExportFieldsView.as_view(), name="theatre-schedule-export-fields"),
    path("theatre-schedule-export-layout/", views.ExportLayoutView.as_view(), name="theatre-schedule-export-layout"),
]
