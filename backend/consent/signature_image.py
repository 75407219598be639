"""Validation of a signature-pad image (A8): a real, complete, reasonably sized PNG with ink on it.

The upload is untrusted: the PNG signature bytes and Pillow's format detection must agree, the dimensions are
checked from the header BEFORE any pixel is decompressed (a small file can inflate to gigabytes: a
decompression bomb), every chunk's CRC is verified and the pixels are fully decoded (a truncated file fails),
and a blank pad is refused. The stored image is re-encoded by Pillow: only pixels are kept, no metadata or
ancillary chunks of unknown origin. The generic checks live in core.images (shared with the wound photos).
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image

from consent.errors import InvalidSignatureImage
from core import images

PNG_MAGIC = images.PNG_MAGIC
FIELD = "image"

# Limits (overridable in settings.CONSENT_SIGNATURE_LIMITS). A signature pad produces a few hundred pixels on
# each side; the upper bounds leave room for high-density tablets.
DEFAULT_LIMITS = {
    "max_bytes": 2 * 1024 * 1024,
    "min_width": 100, "min_height": 40,
    "max_width": 4000, "max_height": 3000,
    "min_ink_pixels": 50,  # a stroke, not a speck of dust
    "max_ink_fraction": 0.6,  # a filled rectangle is not a signature
    "ink_threshold": 200,  # grey level (0 black – 255 white) below which a pixel counts as ink
}


def limits() -> dict:
    return {**DEFAULT_LIMITS, **getattr(settings, "CONSENT_SIGNATURE_LIMITS", {})}


@dataclass(frozen=True)
class SignatureImage:
    png: bytes  # the normalised image to store
    width: int
    height: int
    ink_pixels: int


def _refuse(message, code="invalid_signature_image"):
    raise InvalidSignatureImage(code=code, fields={FIELD: [str(message)]})


def _refuse_rejected(rejected: images.ImageRejected, lim: dict):
    """The consent wording and code of a refusal by core.images."""
    reason = rejected.reason
    if reason == images.MISSING:
        _refuse(_("Upload the signature as a PNG file."), "signature_image_missing")
    if reason == images.TOO_MANY_BYTES:
        _refuse(_("The signature image is larger than %(max)s KB.") % {"max": lim["max_bytes"] // 1024},
                "signature_image_too_large")
    if reason in (images.WRONG_TYPE, images.UNSUPPORTED_TYPE):
        _refuse(_("The signature must be a PNG image."), "signature_not_png")
    if reason == images.TOO_LARGE:
        _refuse(_("The signature image may be at most %(w)s × %(h)s pixels.")
                % {"w": lim["max_width"], "h": lim["max_height"]}, "signature_image_too_large")
    if reason == images.TOO_SMALL:
        _refuse(_("The signature image must be at least %(w)s × %(h)s pixels.")
                % {"w": lim["min_width"], "h": lim["min_height"]}, "signature_image_too_small")
    if reason == images.ANIMATED:
        _refuse(_("Animated images are not accepted."), "signature_not_png")
    if reason == images.BOMB:
        _refuse(_("The signature image is too large to decode."), "signature_image_too_large")
    _refuse(_("The signature image is damaged or incomplete."), "signature_image_damaged")


def validate_signature_png(upload) -> SignatureImage:
    """Check an uploaded signature (bytes or an uploaded file) and return it normalised; InvalidSignatureImage
    with a field error on `image` otherwise."""
    lim = limits()
    image_limits = images.ImageLimits(
        max_bytes=lim["max_bytes"], max_width=lim["max_width"], max_height=lim["max_height"],
        min_width=lim["min_width"], min_height=lim["min_height"],
    )
    try:
        content = images.read_upload(upload, lim["max_bytes"])
        with images.decode_image(content, formats={images.PNG}, limits=image_limits) as image:
            rgba = image.convert("RGBA")
    except images.ImageRejected as rejected:
        _refuse_rejected(rejected, lim)
    width, height = rgba.size
    # Ink: composite on white paper (transparent pads) and count dark pixels.
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(paper, rgba).convert("L")
    histogram = grey.histogram()
    ink = sum(histogram[: lim["ink_threshold"]])
    total = width * height
    if ink < lim["min_ink_pixels"]:
        _refuse(_("The signature pad is blank: please sign before submitting."), "signature_blank")
    if ink > total * lim["max_ink_fraction"]:
        _refuse(_("The image does not look like a signature (mostly filled)."), "signature_not_a_signature")
    out = BytesIO()
    Image.alpha_composite(paper, rgba).convert("RGB").save(out, format="PNG", optimize=False)
    return SignatureImage(png=out.getvalue(), width=width, height=height, ink_pixels=ink)
