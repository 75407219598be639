"""URLs for the authorisation matrix's self-test: the real API plus deliberately leaky routes."""

from django.urls import path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as real_urlpatterns


class LeakyList(APIView):
    """Anonymous access, and every patient's name for everybody."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        from cases.models import Patient

        return Response({"results": list(Patient.objects.values_list("name", flat=True))})


class LeakyDetail(APIView):
    """Any authenticated principal 'finds' any uuid."""

    permission_classes = [IsAuthenticated]

    def get(self, request, uuid):
        return Response({"uuid": str(uuid)})


class LeakyDelete(APIView):
    """Deletes a ward-A row it was never scoped to, then pretends it found nothing."""

    permission_classes = [IsAuthenticated]

    def delete(self, request, uuid):
        from cases.models import SurgicalCase

        SurgicalCase.objects.filter(uuid=uuid).update(state="cancelled")
        return Response(status=404)


class Unfillable(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, code):
        return Response({})


urlpatterns = [
    path("api/v1/leaky/", LeakyList.as_view(), name="leaky-list"),
    path("api/v1/leaky/<uuid:uuid>/", LeakyDetail.as_view(), name="leaky-detail"),
    path("api/v1/leaky-delete/<uuid:uuid>/", LeakyDelete.as_view(), name="leaky-delete"),
    path("api/v1/leaky-codes/<str:code>/", Unfillable.as_view(), name="leaky-code"),
    *real_urlpatterns,
]
