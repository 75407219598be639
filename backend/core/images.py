"""Untrusted image uploads: identified by their bytes, sized before decoding, fully decoded, re-encoded clean.

Every context that accepts a picture from a client (signature pads, wound photos...) goes through here:

1. `read_upload` reads at most `max_bytes` (+1 to detect an oversized upload) from bytes or an uploaded file;
2. `decode_image` identifies the type by its magic bytes (never by name or declared content type), opens it
   with only that Pillow plugin, checks that Pillow agrees, checks width, height and pixel count from the
   header BEFORE any pixel is decompressed (a small file can inflate to gigabytes: a decompression bomb; Pillow's
   own `Image.MAX_IMAGE_PIXELS` guard is turned from a warning into a refusal as a second line), refuses
   animations, verifies the structure (PNG CRCs) and then decodes every pixel (a truncated file fails);
3. `photo_normalise` applies the EXIF orientation, converts colours to sRGB, flattens transparency, shrinks to a
   maximum side and re-encodes as a brand-new JPEG built from pixels only: no EXIF (GPS position, camera serial,
   time), no XMP, no ICC profile, no comments survive.

Refusals raise `ImageRejected(reason, **params)`; callers map the reason to their own field error and code, so
each context keeps its wording ("the signature must be a PNG", "the photo is damaged").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

JPEG, PNG, WEBP, HEIF = "JPEG", "PNG", "WEBP", "HEIF"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# The one Pillow plugin that may open each sniffed type, and the format names it may report: camera JPEGs with
# a depth map or preview are Multi-Picture (MPO) files, opened by the JPEG plugin; only the main picture is used.
PILLOW_PLUGIN = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP", HEIF: "HEIF"}
PILLOW_FORMATS = {JPEG: ("JPEG", "MPO"), PNG: ("PNG",), WEBP: ("WEBP",), HEIF: ("HEIF",)}
MULTI_PICTURE_OK = {"MPO"}
CONTENT_TYPES = {JPEG: "image/jpeg", PNG: "image/png", WEBP: "image/webp", HEIF: "image/heic"}

# Reasons of a refusal (stable; callers map them to messages and error codes).
MISSING = "missing"
TOO_MANY_BYTES = "too_many_bytes"
WRONG_TYPE = "wrong_type"
UNSUPPORTED_TYPE = "unsupported_type"  # a real image of a kind this server cannot decode (HEIC without plugin)
TOO_LARGE = "too_large"  # width, height or pixel count above the limits
TOO_SMALL = "too_small"
ANIMATED = "animated"
DAMAGED = "damaged"
BOMB = "bomb"  # Pillow's decompression-bomb guard fired


class ImageRejected(Exception):
    def __init__(self, reason: str, **params):
        self.reason = reason
        self.params = params
        super().__init__(reason)


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_width: int
    max_height: int
    max_pixels: int | None = None
    min_width: int = 1
    min_height: int = 1


def heif_available() -> bool:
    """HEIC/HEIF (iPhone photos) decode only with the optional pillow-heif plugin."""
    try:
        import pillow_heif  # noqa: PLC0415
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def sniff_format(content: bytes) -> str | None:
    """The image type by magic bytes, or None."""
    if content.startswith(PNG_MAGIC):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if len(content) >= 12 and content[4:8] == b"ftyp" and content[8:12] in HEIF_BRANDS:
        return HEIF
    return None


def read_upload(upload, max_bytes: int) -> bytes:
    """The upload's bytes (bytes or a file-like object with optional `.size`); never reads more than max+1."""
    if upload is None:
        raise ImageRejected(MISSING)
    if isinstance(upload, bytes | bytearray):
        content = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > max_bytes:
            raise ImageRejected(TOO_MANY_BYTES, max_bytes=max_bytes)
        if hasattr(upload, "seek"):
            try:
                upload.seek(0)
            except (OSError, ValueError):
                pass
        content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ImageRejected(TOO_MANY_BYTES, max_bytes=max_bytes)
    if not content:
        raise ImageRejected(MISSING)
    return content


def _check_size(width, height, limits: ImageLimits):
    if width > limits.max_width or height > limits.max_height or (
        limits.max_pixels is not None and width * height > limits.max_pixels
    ):
        raise ImageRejected(TOO_LARGE, width=width, height=height)
    if width < limits.min_width or height < limits.min_height:
        raise ImageRejected(TOO_SMALL, width=width, height=height)


def decode_image(content: bytes, *, formats, limits: ImageLimits, draft_size: tuple[int, int] | None = None):
    """Open, check and fully decode `content`, an image of one of `formats` (JPEG, PNG, WEBP, HEIF); returns the
    loaded Pillow image (the caller closes it). `draft_size` lets the JPEG decoder scale down by powers of two
    while decoding (less memory for big camera photos): only for callers that shrink the picture anyway."""
    sniffed = sniff_format(content)
    if sniffed is None or sniffed not in formats:
        raise ImageRejected(WRONG_TYPE, found=sniffed)
    if sniffed == HEIF and not heif_available():
        raise ImageRejected(UNSUPPORTED_TYPE, found=sniffed)
    plugins, reported = [PILLOW_PLUGIN[sniffed]], PILLOW_FORMATS[sniffed]
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make the warning a refusal too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(content), formats=plugins) as probe:
                if probe.format not in reported:
                    raise ImageRejected(WRONG_TYPE, found=probe.format)
                width, height = probe.size
                _check_size(width, height, limits)
                if getattr(probe, "n_frames", 1) != 1 and probe.format not in MULTI_PICTURE_OK:
                    raise ImageRejected(ANIMATED)
                probe.verify()  # structure, and for PNG every chunk's CRC
            if ImageFile.LOAD_TRUNCATED_IMAGES:  # a global switch elsewhere must not weaken this check
                raise ImageRejected(DAMAGED)
            image = Image.open(BytesIO(content), formats=plugins)
            try:
                if draft_size and image.format in ("JPEG", "MPO"):
                    image.draft("RGB", draft_size)
                image.load()  # decode every pixel: a truncated stream raises here
            except BaseException:
                image.close()
                raise
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(BOMB) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError, IndexError, KeyError,
                TypeError, ZeroDivisionError):
            raise ImageRejected(DAMAGED) from None
    return image


def _to_srgb(image):
    """Convert with the embedded ICC profile to sRGB (the profile itself is then dropped); unchanged without one
    or when the profile is unusable."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _flatten_rgb(image):
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")  # 16-bit grey → 8-bit
    elif image.mode == "F":
        image = image.convert("L")
    return image.convert("RGB")


@dataclass(frozen=True)
class EncodedImage:
    content: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def photo_normalise(image, *, max_side: int, quality: int = 88) -> EncodedImage:
    """A clean JPEG of `image`: upright (EXIF orientation applied), sRGB, no alpha, at most `max_side` pixels on
    the long side, built from the pixels alone so no metadata of the upload can reach the output."""
    upright = ImageOps.exif_transpose(image) or image
    rgb = _flatten_rgb(_to_srgb(upright))
    if max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    clean = Image.frombytes("RGB", rgb.size, rgb.tobytes())  # pixels only: info, EXIF, XMP, ICC all left behind
    out = BytesIO()
    clean.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    return EncodedImage(content=out.getvalue(), width=clean.width, height=clean.height)
