"""URLs for the fuzzer's self-test: the real API plus a deliberately fragile endpoint."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as real_urlpatterns


class FragileInput(serializers.Serializer):
    count = serializers.IntegerField()


class FragileView(APIView):
    """Trusts its input: a wrong type or a missing field escapes as a server error."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=FragileInput, responses={200: FragileInput})
    def post(self, request):
        return Response({"count": int(request.data["count"]) + 1})


urlpatterns = [path("api/v1/fragile/", FragileView.as_view(), name="fragile"), *real_urlpatterns]
