"""Origin checking for the events socket.

Browsers always send Origin, so a page of a foreign site is refused (its Origin is not one of ALLOWED_HOSTS).
Native clients — the Kivy staff app, the WeChat mini-program runtime — often send no Origin at all; channels'
AllowedHostsOriginValidator refuses those, which would lock the staff app out. Authentication here is the
single-use ticket (never a cookie), so a missing Origin carries no cross-site risk: it is let through to the
ticket check, while a present Origin must still match ALLOWED_HOSTS (or REALTIME_ALLOWED_ORIGINS).
"""

from channels.security.websocket import OriginValidator
from django.conf import settings


class TicketOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin):
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)


def ticket_origin_validator(application):
    allowed = list(settings.ALLOWED_HOSTS) + list(getattr(settings, "REALTIME_ALLOWED_ORIGINS", []))
    return TicketOriginValidator(application, allowed)
