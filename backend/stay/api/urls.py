from django.urls import path

from stay.api import views

urlpatterns = [
    path("cases/<uuid:uuid>/stay/", views.StayRecordView.as_view(), name="stay-record"),
    path("cases/<uuid:uuid>/admission/", views.AdmissionView.as_view(), name="stay-admission"),
    path("cases/<uuid:uuid>/theatre-times/", views.TheatreTimesView.as_view(), name="stay-theatre-times"),
    path("cases/<uuid:uuid>/complications/", views.ComplicationsView.as_view(), name="stay-complications"),
    path("cases/<uuid:uuid>/adverse-events/", views.AdverseEventsView.as_view(), name="stay-adverse-events"),
    path("cases/<uuid:uuid>/unplanned-returns/", views.UnplannedReturnsView.as_view(), name="stay-unplanned-returns"),
    path("cases/<uuid:uuid>/discharge-assessments/", views.DischargeAssessmentsView.as_view(),
         name="stay-discharge-assessments"),
    path("cases/<uuid:uuid>/discharge-with-instructions/", views.DischargeWithInstructionsView.as_view(),
         name="stay-discharge"),
    path("cases/<uuid:uuid>/inpatient-transfer/", views.InpatientTransferView.as_view(), name="stay-inpatient-transfer"),
    path("my/cases/<uuid:uuid>/discharge-instructions/", views.MyDischargeInstructionsView.as_view(),
         name="stay-my-discharge-instructions"),
    path("stay/alerts/", views.LosAlertListView.as_view(), name="stay-alerts"),
    path("stay/incidents/", views.IncidentListView.as_view(), name="stay-incidents"),
    path("stay/options/", views.StayOptionsView.as_view(), name="stay-options"),
    path("stay/theatre-events/", views.TheatreEventView.as_view(), name="stay-theatre-events"),
]
