from django.apps import AppConfig


class BookingPolicyConfig(AppConfig):
    name = "booking_policy"
    verbose_name = "预约准入与授权"
