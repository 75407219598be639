from django.urls import path

from realtime.api.views import TicketView

urlpatterns = [path("realtime/tickets/", TicketView.as_view(), name="realtime-ticket")]
