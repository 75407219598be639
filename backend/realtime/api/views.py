from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.tokens import SESSION_CLAIM
from realtime.tickets import ticket_issue


class TicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text=_("Single-use; pass it as ?ticket= when connecting."))
    expires_in = serializers.IntegerField(help_text=_("Seconds until the ticket expires."))
    url = serializers.CharField(help_text=_("The WebSocket URL to connect to, ticket included."))


class TicketView(APIView):
    """Issue a short-lived single-use ticket for the events WebSocket (staff and patients)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle]

    @extend_schema(request=None, responses={201: TicketSerializer}, tags=["realtime"])
    def post(self, request):
        sid = request.auth.get(SESSION_CLAIM) if request.auth is not None else None
        ticket, ttl = ticket_issue(principal=request.user, sid=sid)
        scheme = "wss" if request.is_secure() else "ws"
        url = f"{scheme}://{request.get_host()}/ws/events/?ticket={ticket}"
        return Response(TicketSerializer({"ticket": ticket, "expires_in": ttl, "url": url}).data,
                        status=status.HTTP_201_CREATED)
