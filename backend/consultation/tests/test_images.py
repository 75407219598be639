"""core.images on the inputs phones and scanners really produce: CMYK and ICC-tagged JPEGs, palette PNGs with
transparency, 16-bit greyscale PNGs, Multi-Picture JPEGs; each comes out as a clean upright sRGB JPEG."""

from io import BytesIO

import pytest
from PIL import Image, ImageCms

from core import images

LIMITS = images.ImageLimits(max_bytes=10_000_000, max_width=5000, max_height=5000, max_pixels=20_000_000)
pytestmark = pytest.mark.req("F9")


def _encode(image, fmt, **kwargs):
    out = BytesIO()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def _clean(content, **kwargs):
    with images.decode_image(content, formats={images.JPEG, images.PNG, images.WEBP}, limits=LIMITS) as image:
        result = images.photo_normalise(image, max_side=kwargs.get("max_side", 2000))
    with Image.open(BytesIO(result.content)) as out:
        assert out.format == "JPEG" and out.mode == "RGB"
        assert not out.info.get("icc_profile") and not out.info.get("exif") and len(out.getexif()) == 0
        return out.copy()


def test_icc_tagged_and_cmyk_jpegs_become_plain_srgb():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    tagged = _encode(Image.new("RGB", (300, 300), (200, 50, 50)), "JPEG", icc_profile=srgb)
    assert _clean(tagged).getpixel((150, 150))[0] > 150
    cmyk = _encode(Image.new("CMYK", (300, 300), (0, 200, 200, 0)), "JPEG")
    assert _clean(cmyk).size == (300, 300)


def test_palette_transparency_and_16_bit_grey():
    palette = Image.new("P", (300, 300), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.info["transparency"] = 0
    assert _clean(_encode(palette, "PNG", transparency=0)).getpixel((10, 10)) == (255, 255, 255)
    grey16 = Image.new("I;16", (300, 300), 40000)
    r, g, b = _clean(_encode(grey16, "PNG")).getpixel((10, 10))
    assert 140 < r < 170 and r == g == b


def test_multi_picture_jpeg_uses_the_main_picture():
    main, preview = Image.new("RGB", (400, 300), (10, 120, 10)), Image.new("RGB", (160, 120), (255, 0, 0))
    mpo = _encode(main, "MPO", save_all=True, append_images=[preview])
    with Image.open(BytesIO(mpo)) as probe:
        assert probe.format == "MPO" and probe.n_frames == 2
    out = _clean(mpo)
    assert out.size == (400, 300) and out.getpixel((200, 150))[1] > 100


def test_type_is_decided_by_content_not_by_claims():
    png = _encode(Image.new("RGB", (300, 300)), "PNG")
    with pytest.raises(images.ImageRejected) as refused:
        images.decode_image(png, formats={images.JPEG}, limits=LIMITS)
    assert refused.value.reason == images.WRONG_TYPE
    heic_header = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100
    with pytest.raises(images.ImageRejected) as refused:
        images.decode_image(heic_header, formats={images.HEIF}, limits=LIMITS)
    assert refused.value.reason in (images.UNSUPPORTED_TYPE, images.DAMAGED)


def test_uploads_are_read_only_up_to_the_limit():
    class Endless:
        size = None

        def read(self, n):
            return b"\xff" * n

    with pytest.raises(images.ImageRejected) as refused:
        images.read_upload(Endless(), 1000)
    assert refused.value.reason == images.TOO_MANY_BYTES
