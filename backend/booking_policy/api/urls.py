from django.urls import path
from rest_framework.routers import SimpleRouter

from booking_policy.api import views

router = SimpleRouter()
router.register("admission-rules", views.AdmissionRuleViewSet, basename="admission-rule")
router.register("booking-mode-grants", views.BookingModeGrantViewSet, basename="booking-mode-grant")

urlpatterns = [
    path("admission-rules/evaluate/", views.AdmissionEvaluateView.as_view(), name="admission-rule-evaluate"),
    path("surgeon-assignments/", views.SurgeonAssignmentListView.as_view(), name="surgeon-assignment-list"),
    path("cases/<uuid:uuid>/assign-surgeon/", views.CaseAssignSurgeonView.as_view(), name="case-assign-surgeon"),
    *router.urls,
]
