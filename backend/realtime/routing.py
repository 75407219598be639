from django.urls import path

from consultation.routing import websocket_urlpatterns as consultation_routes
from realtime.consumers import EventsConsumer

websocket_urlpatterns = [path("ws/events/", EventsConsumer.as_asgi()), *consultation_routes]
