"""WebSocket routes of the consultation context (to be included in the ASGI router next to realtime's)."""

from django.urls import path

from consultation.consumers import ConversationConsumer

websocket_urlpatterns = [path("ws/consultations/<uuid:case_uuid>/", ConversationConsumer.as_asgi())]
