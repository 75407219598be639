from django.urls import path
from rest_framework.routers import SimpleRouter

from catalog.api.views import ProcedureViewSet, WardProceduresView

router = SimpleRouter()
router.register("procedures", ProcedureViewSet, basename="procedure")

urlpatterns = [
    *router.urls,
    path("wards/<uuid:uuid>/procedures/", WardProceduresView.as_view(), name="ward-procedures"),
]
