"""Wound photos (F9): real JPEG / PNG / WebP (HEIC when pillow-heif is installed) identified by content, within
byte, side and pixel limits, decompression bombs refused, fully decoded, then re-encoded by core.images into a
clean upright sRGB JPEG (EXIF — GPS position, camera, time —, XMP, ICC and comments removed) plus a thumbnail."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext_lazy as _
from PIL import Image

from consultation.conf import conf
from consultation.errors import InvalidPhoto
from core import images

ACCEPTED = (images.JPEG, images.PNG, images.WEBP, images.HEIF)


@dataclass(frozen=True)
class ProcessedPhoto:
    image: images.EncodedImage
    thumbnail: images.EncodedImage
    sha256: str
    original_type: str


def _message(rejected: images.ImageRejected, lim: dict):
    reason = rejected.reason
    if reason == images.MISSING:
        return _("The photo is empty."), "wound_photo_missing"
    if reason == images.TOO_MANY_BYTES:
        return (_("The photo is larger than %(max)s MB.") % {"max": lim["max_bytes"] // (1024 * 1024)},
                "wound_photo_too_large")
    if reason == images.UNSUPPORTED_TYPE:
        return _("HEIC photos cannot be read yet: please send the photo as JPEG."), "wound_photo_unsupported"
    if reason == images.WRONG_TYPE:
        return _("Only JPEG, PNG or WebP photos are accepted."), "wound_photo_not_an_image"
    if reason in (images.TOO_LARGE, images.BOMB):
        return (_("The photo may be at most %(w)s × %(h)s pixels.") % {"w": lim["max_width"], "h": lim["max_height"]},
                "wound_photo_too_large")
    if reason == images.TOO_SMALL:
        return (_("The photo must be at least %(w)s × %(h)s pixels.") % {"w": lim["min_width"], "h": lim["min_height"]},
                "wound_photo_too_small")
    if reason == images.ANIMATED:
        return _("Animated images are not accepted."), "wound_photo_not_an_image"
    return _("The photo is damaged or incomplete."), "wound_photo_damaged"


def photo_process(upload, *, index: int = 0) -> ProcessedPhoto:
    """Validate one uploaded photo and return its clean JPEG and thumbnail; InvalidPhoto with a field error on
    `photos` (naming the photo's position) otherwise."""
    lim = conf("CONSULTATION_PHOTO_LIMITS")
    limits = images.ImageLimits(max_bytes=lim["max_bytes"], max_width=lim["max_width"], max_height=lim["max_height"],
                                max_pixels=lim["max_pixels"], min_width=lim["min_width"], min_height=lim["min_height"])
    side = lim["stored_max_side"]
    try:
        content = images.read_upload(upload, lim["max_bytes"])
        original_type = images.CONTENT_TYPES.get(images.sniff_format(content) or "", "")
        with images.decode_image(content, formats=ACCEPTED, limits=limits, draft_size=(side, side)) as image:
            stored = images.photo_normalise(image, max_side=side, quality=lim["jpeg_quality"])
    except images.ImageRejected as rejected:
        message, code = _message(rejected, lim)
        raise InvalidPhoto(code=code, fields={"photos": [_("Photo %(n)s: %(problem)s") % {
            "n": index + 1, "problem": message}]}) from None
    with Image.open(BytesIO(stored.content), formats=["JPEG"]) as again:
        thumbnail = images.photo_normalise(again, max_side=lim["thumbnail_max_side"], quality=80)
    return ProcessedPhoto(image=stored, thumbnail=thumbnail, sha256=hashlib.sha256(stored.content).hexdigest(),
                          original_type=original_type)
