from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.api.views import ApiRootView, api_not_found

api_v1 = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("accounts.api.urls")),
    path("", include("org.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("capacity.api.urls")),
    path("", include("booking_policy.api.urls")),
    path("", include("booking.api.urls")),
    path("", include("risk.api.urls")),
    path("", include("clinical.api.urls")),
    path("", include("anaesthesia.api.urls")),
    path("", include("anaesthesia.api.sedation_urls")),
    path("", include("consent.api.urls")),
    path("", include("preop.api.urls")),
    path("", include("timeline.api.urls")),
    path("", include("scheduling.api.urls")),
    path("", include("doctor_assessment.api.urls")),
    path("", include("stay.api.urls")),
    path("", include("messaging.api.urls")),
    path("", include("todos.api.urls")),
    path("", include("recovery.api.urls")),
    path("", include("forms.api.urls")),
    path("", include("followup.api.urls")),
    path("", include("education.api.urls")),
    path("", include("consultation.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("realtime.api.urls")),
    re_path(r"^.*$", api_not_found),  # keep last: unknown API paths answer in the error envelope
]

handler500 = "core.api.views.server_error"  # unexpected failures under /api/ answer in the error envelope

urlpatterns = [
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]
