from django.urls import path

from anaesthesia.api import views

A = "anaesthesia-assessments/<uuid:uuid>/"

urlpatterns = [
    path("anaesthesia-assessment-form/", views.FormSchemaView.as_view(), name="anaesthesia-assessment-form"),
    path("anaesthesia-clinic/queue/", views.ClinicQueueView.as_view(), name="anaesthesia-clinic-queue"),
    path("anaesthesia-assessments/", views.AssessmentListCreateView.as_view(), name="anaesthesia-assessment-list"),
    path(A, views.AssessmentDetailView.as_view(), name="anaesthesia-assessment-detail"),
    path(A + "autofill/", views.AutofillView.as_view(), name="anaesthesia-assessment-autofill"),
    path(A + "lab-results/", views.LabResultSearchView.as_view(), name="anaesthesia-assessment-lab-results"),
    path(A + "exam-reports/", views.ExamReportSearchView.as_view(), name="anaesthesia-assessment-exam-reports"),
    path(A + "citations/", views.CitationListCreateView.as_view(), name="anaesthesia-assessment-citations"),
    path("anaesthesia-citations/<uuid:uuid>/", views.CitationDeleteView.as_view(), name="anaesthesia-citation"),
    path(A + "validation/", views.ValidationView.as_view(), name="anaesthesia-assessment-validation"),
    path(A + "evaluate/", views.EvaluateView.as_view(), name="anaesthesia-assessment-evaluate"),
    path(A + "conclude/", views.ConcludeView.as_view(), name="anaesthesia-assessment-conclude"),
    path(A + "amend/", views.AmendView.as_view(), name="anaesthesia-assessment-amend"),
    path(A + "report/", views.AssessmentReportView.as_view(), name="anaesthesia-assessment-report"),
    path(A + "report.pdf", views.AssessmentReportPdfView.as_view(), name="anaesthesia-assessment-report-pdf"),
    path("cases/<uuid:uuid>/anaesthesia-report/", views.CaseReportView.as_view(), name="case-anaesthesia-report"),
    path("cases/<uuid:uuid>/anaesthesia-report.pdf", views.CaseReportPdfView.as_view(),
         name="case-anaesthesia-report-pdf"),
    path("anaesthesia-mapping-rules/", views.MappingRuleListCreateView.as_view(), name="anaesthesia-mapping-rules"),
    path("anaesthesia-mapping-rules/<uuid:uuid>/", views.MappingRuleDetailView.as_view(),
         name="anaesthesia-mapping-rule"),
]
