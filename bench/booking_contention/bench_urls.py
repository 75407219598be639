"""The product's URLs plus one bare endpoint that inserts one row: the baseline the booking is compared with."""

from django.db import connection
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as product_urlpatterns


class InsertView(APIView):
    """Authenticated like the booking (staff JWT), then one INSERT in its own transaction."""

    def post(self, request):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_ping (at) VALUES (now())")
        return Response({"ok": True}, status=201)


urlpatterns = [path("bench/insert/", InsertView.as_view()), *product_urlpatterns]
