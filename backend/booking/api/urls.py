from django.urls import path

from booking.api import views

urlpatterns = [
    path("his-launches/", views.HisLaunchView.as_view(), name="his-launch"),
    path("launch-tickets/redeem/", views.LaunchTicketRedeemView.as_view(), name="launch-ticket-redeem"),
    path("bookings/", views.BookingListCreateView.as_view(), name="booking-list"),
    path("bookings/<uuid:uuid>/", views.BookingDetailView.as_view(), name="booking-detail"),
    path("bookings/<uuid:uuid>/confirm/", views.BookingConfirmView.as_view(), name="booking-confirm"),
    path("bookings/<uuid:uuid>/abandon/", views.BookingAbandonView.as_view(), name="booking-abandon"),
    path("pending-pool/", views.PoolListView.as_view(), name="pending-pool-list"),
    path("pending-pool/stats/", views.PoolStatsView.as_view(), name="pending-pool-stats"),
    path("pending-pool/<uuid:uuid>/resume/", views.PoolResumeView.as_view(), name="pending-pool-resume"),
]
