from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from core.api.exceptions import error_body


class ApiRootSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    docs = serializers.URLField()
    schema = serializers.URLField()


class ApiRootView(APIView):
    """Public entry point: product name, version and where the documentation lives."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses=ApiRootSerializer, auth=[])
    def get(self, request):
        return Response(
            {
                "name": "日间手术管理平台",
                "version": "v1",
                "docs": reverse("swagger-ui", request=request),
                "schema": reverse("schema", request=request),
            }
        )


def api_not_found(request, *args, **kwargs):
    """Unknown /api/v1/ paths answer in the error envelope rather than Django's HTML page."""
    from django.http import JsonResponse

    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def server_error(request, *args, **kwargs):
    """handler500: an unexpected failure under /api/ still answers in the error envelope (no HTML page, no
    details); Django has already logged the exception. Other paths (the Django admin) keep Django's page."""
    from django.http import JsonResponse
    from django.views.defaults import server_error as django_server_error

    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", _("An unexpected error occurred; please try again later.")), status=500
        )
    return django_server_error(request, *args, **kwargs)
