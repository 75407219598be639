"""Refusals of the education context (stable codes the apps branch on)."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput, NotFound


class ReadingTooShort(Conflict):
    """Finishing a reading session before its minimum time: `extra.remaining_seconds` tells the app how long."""

    default_code = "reading_too_short"
    default_message = _("Please keep reading: the minimum reading time is not over yet.")


class MaterialRetired(Conflict):
    default_code = "material_retired"
    default_message = _("This material has been withdrawn.")


class MaterialNotForCase(NotFound):
    default_code = "not_found"
    default_message = _("No such material for this case.")


class VideoRejected(InvalidInput):
    default_code = "video_rejected"
    default_message = _("The file is not a video the app can play.")
