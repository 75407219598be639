"""What an uploaded video really is, decided by its bytes (never by the file name or the declared type).

Accepted: MP4 / QuickTime (ISO base media: an `ftyp` box with a video brand, a `moov` box holding a movie header and
at least one video track) — what phones record and the WeChat `video` component plays — and WebM (EBML header with
the webm doc type). The MP4 movie header gives the duration, the default minimum viewing time of a video item.
"""

import struct
from dataclasses import dataclass

MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"M4VP",
              b"dash", b"mmp4", b"3gp4", b"3gp5", b"3gp6", b"MSNV", b"XAVC", b"f4v "}
QUICKTIME_BRAND = b"qt  "
_CONTAINERS = {b"moov", b"trak", b"mdia"}


@dataclass(frozen=True)
class VideoInfo:
    content_type: str
    extension: str
    duration_seconds: int | None


def _boxes(data: bytes, start: int, end: int):
    """(type, payload start, payload end) of the ISO-BMFF boxes in data[start:end]; stops at a malformed box."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        yield kind, pos + header, pos + size
        pos += size


def _find(data, start, end, kind):
    for k, s, e in _boxes(data, start, end):
        if k == kind:
            return s, e
    return None


def _mp4(data: bytes) -> VideoInfo | None:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    brand = data[8:12]
    if brand != QUICKTIME_BRAND and brand not in MP4_BRANDS:
        return None
    moov = _find(data, 0, len(data), b"moov")
    if moov is None:
        return None
    mvhd = _find(data, *moov, b"mvhd")
    if mvhd is None or mvhd[1] - mvhd[0] < 20:
        return None
    s = mvhd[0]
    if data[s] == 1:  # version 1: 64-bit times
        if mvhd[1] - s < 32:
            return None
        timescale, duration = struct.unpack(">IQ", data[s + 20:s + 32])
    else:
        timescale, duration = struct.unpack(">II", data[s + 12:s + 20])
    has_video = False
    for kind, ts, te in _boxes(data, *moov):
        if kind != b"trak":
            continue
        mdia = _find(data, ts, te, b"mdia")
        hdlr = _find(data, *mdia, b"hdlr") if mdia else None
        if hdlr and hdlr[1] - hdlr[0] >= 12 and data[hdlr[0] + 8:hdlr[0] + 12] == b"vide":
            has_video = True
            break
    if not has_video:
        return None  # audio-only MP4 (M4A) or an empty movie
    seconds = int(duration // timescale) if timescale else None
    if brand == QUICKTIME_BRAND:
        return VideoInfo("video/quicktime", "mov", seconds)
    return VideoInfo("video/mp4", "mp4", seconds)


def _webm(data: bytes) -> VideoInfo | None:
    if data[:4] != b"\x1a\x45\xdf\xa3":
        return None
    header = data[4:64]
    at = header.find(b"\x42\x82")  # EBML DocType
    if at < 0 or b"webm" not in header[at:at + 8]:
        return None
    return VideoInfo("video/webm", "webm", None)


def sniff_video(data: bytes) -> VideoInfo | None:
    """The video's type and duration, or None when the bytes are not a video we serve."""
    return _mp4(data) or _webm(data)
