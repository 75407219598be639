from django.urls import path

from clinical.api import views

urlpatterns = [
    path("cases/<uuid:uuid>/lab-results/", views.CaseLabResultListView.as_view(), name="case-lab-results"),
    path("cases/<uuid:uuid>/exam-reports/", views.CaseExamReportListView.as_view(), name="case-exam-reports"),
    path("cases/<uuid:case_uuid>/exam-reports/<uuid:uuid>/images/", views.CaseExamImageListView.as_view(),
         name="case-exam-report-images"),
    path("cases/<uuid:uuid>/clinical-results/refresh/", views.CaseResultsRefreshView.as_view(),
         name="case-clinical-results-refresh"),
]
