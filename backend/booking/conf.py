"""Booking settings with their defaults (overridable in settings / environment, see config/settings/base.py)."""

from django.conf import settings

DEFAULTS = {
    # HIS workstation clients allowed to launch bookings: {client_id: shared secret}. Empty = launching is off.
    "BOOKING_HIS_CLIENTS": {},
    "BOOKING_HIS_SIGNATURE_WINDOW_SECONDS": 300,  # a signed request older or newer than this is refused
    "BOOKING_LAUNCH_TICKET_SECONDS": 120,  # the doctor's sign-in link is single-use and lives this long
    # Where the doctor's browser opens the draft; {ticket} and {draft} are filled in.
    "BOOKING_DOCTOR_LAUNCH_URL": "/booking/launch?ticket={ticket}&draft={draft}",
    "BOOKING_DRAFT_TIMEOUT_MINUTES": 120,  # an unconfirmed draft enters the pending pool after this
    # The patient app entry sent with the booking notice: mini-program page and H5 page ({case} filled in).
    "BOOKING_PATIENT_APP_PAGE": "pages/case/detail?case={case}",
    "BOOKING_PATIENT_H5_URL": "https://patient.example.invalid/cases/{case}",
    "BOOKING_WECHAT_TEMPLATE_ID": "DS-BOOKED",  # the subscribe-message template of the booking notice
    "BOOKING_SMS_TEMPLATE": "booking_confirmed",
}


def conf(name):
    return getattr(settings, name, DEFAULTS[name])
