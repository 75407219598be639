from django.urls import path

from doctor_assessment.api import views

urlpatterns = [
    path("doctor/patients/", views.DoctorPatientListView.as_view(), name="doctor-patients"),
    # The same list under the collection name of the case routes below (clients and the API walkers fill
    # {uuid} from it).
    path("doctor/cases/", views.DoctorPatientListView.as_view(), name="doctor-cases"),
    path("doctor/high-risk/", views.DoctorHighRiskListView.as_view(), name="doctor-high-risk"),
    path("doctor/cases/<uuid:uuid>/", views.DoctorCaseView.as_view(), name="doctor-case"),
    path("doctor/cases/<uuid:uuid>/assessment/", views.DoctorCaseAssessmentView.as_view(),
         name="doctor-case-assessment"),
    path("doctor/cases/<uuid:uuid>/findings/", views.DoctorCaseFindingListView.as_view(), name="doctor-case-findings"),
    path("doctor/cases/<uuid:uuid>/results/pull/", views.DoctorCaseResultsPullView.as_view(),
         name="doctor-case-results-pull"),
    path("high-risk-rules/", views.HighRiskRuleListView.as_view(), name="high-risk-rules"),
    path("high-risk-rules/<uuid:uuid>/", views.HighRiskRuleDetailView.as_view(), name="high-risk-rule"),
    path("high-risk-rules/<uuid:uuid>/versions/", views.HighRiskRuleVersionListView.as_view(),
         name="high-risk-rule-versions"),
    path("doctor-assessment-settings/", views.AssessmentSettingsView.as_view(), name="doctor-assessment-settings"),
]
