from django.urls import path

from recovery.api import views

urlpatterns = [
    path("cases/<uuid:uuid>/treatment-plan/", views.TreatmentPlanView.as_view(), name="recovery-treatment-plan"),
    path("cases/<uuid:uuid>/treatment-plan/publish/", views.TreatmentPlanPublishView.as_view(),
         name="recovery-treatment-plan-publish"),
    path("cases/<uuid:uuid>/follow-up-view/", views.FollowupPatientView.as_view(), name="recovery-followup-view"),
    path("recovery/patients/", views.RecoveryListView.as_view(), name="recovery-patients"),
    path("my/cases/<uuid:uuid>/treatment-plan/", views.MyTreatmentPlanView.as_view(),
         name="recovery-my-treatment-plan"),
]
