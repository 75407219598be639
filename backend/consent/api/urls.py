from django.urls import path
from rest_framework.routers import SimpleRouter

from consent.api import views

router = SimpleRouter()
router.register("consent-templates", views.ConsentTemplateViewSet, basename="consent-template")

urlpatterns = [
    path("anaesthesia-assessments/<uuid:uuid>/consents/", views.AssessmentConsentsView.as_view(),
         name="anaesthesia-assessment-consents"),
    path("consents/", views.ConsentListView.as_view(), name="consent-list"),
    path("consents/<uuid:uuid>/", views.ConsentDetailView.as_view(), name="consent-detail"),
    path("consents/<uuid:uuid>/clinician-signature/", views.ClinicianSignatureView.as_view(),
         name="consent-clinician-signature"),
    path("consents/<uuid:uuid>/patient-signature/", views.PatientSignatureView.as_view(),
         name="consent-patient-signature"),
    path("consents/<uuid:uuid>/void/", views.ConsentVoidView.as_view(), name="consent-void"),
    path("consents/<uuid:uuid>/verification/", views.ConsentVerificationView.as_view(),
         name="consent-verification"),
    path("consents/<uuid:uuid>/document.pdf", views.ConsentDocumentPdfView.as_view(), name="consent-document-pdf"),
    path("consents/<uuid:uuid>/signed-copy.pdf", views.ConsentSignedCopyPdfView.as_view(),
         name="consent-signed-copy-pdf"),
    *router.urls,
]
