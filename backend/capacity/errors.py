"""Refusals of the capacity context (stable codes: native clients branch on them)."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict


class NoPlacesLeft(Conflict):
    """Every place of a capacity that governs the booking is taken (B6: the losing request of a quota grab)."""

    default_code = "no_places_left"
    default_message = _("No places left for this date and session.")


class OutsideResources(Conflict):
    """The booking falls outside the configured resources: no session, a closed day, or no resources then."""

    default_code = "outside_resources"
    default_message = _("There are no bookable resources for this date and session.")


class PlacesTaken(Conflict):
    """A capacity change would leave fewer places than bookings already hold; those must be moved first."""

    default_code = "places_taken"
    default_message = _("Bookings already hold places there; move or cancel them first.")
