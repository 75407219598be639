"""PACS / ECG port: imaging and ECG report text (findings and conclusion), and the report's images (D3).

Images are optional: a PACS that offers none answers an empty list. `size_bytes` is what the PACS declares
(None when it does not say); `fetch_image` never returns more than `max_bytes` whatever was declared, so a
transfer limit holds even against a PACS that under-states a size.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ExamReport:
    report_no: str  # 检查报告单号
    reg_no: str
    visit_no: str
    kind: str  # "exam" (imaging / ultrasound) or "ecg"
    code: str
    name: str
    findings: str  # 检查所见
    conclusion: str  # 诊断意见 / 结论
    abnormal: bool | None  # None when the system does not say
    issued_at: datetime | None


@dataclass(frozen=True)
class ExamImage:
    """One image of a report as the PACS lists it (a key image, a thumbnail, an ECG tracing, an original)."""

    image_id: str  # the PACS's own id of the image (FHIR: the Media id)
    report_no: str
    title: str  # 图像说明, e.g. "胸部正位 关键图像"
    content_type: str  # image/png, image/jpeg; application/dicom for originals a browser cannot show
    size_bytes: int | None  # as declared by the PACS; None when it does not say
    taken_at: datetime | None = None


@dataclass(frozen=True)
class ImageContent:
    content_type: str
    content: bytes


class ImageTooLarge(Exception):  # noqa: N818 — a refusal, not a failure of the PACS
    """The image is larger than the caller's transfer limit (declared, or found while reading it)."""

    def __init__(self, image_id: str, *, limit: int, size_bytes: int | None = None):
        self.image_id, self.limit, self.size_bytes = image_id, limit, size_bytes
        super().__init__(f"image {image_id} is larger than {limit} bytes")


class PacsPort(Protocol):
    def list_reports(self, reg_no: str, *, kind: str | None = None,
                     visit_no: str | None = None) -> list[ExamReport]: ...

    def list_images(self, reg_no: str, report_no: str) -> list[ExamImage]:
        """The images of one report of this patient ([] when the report has none or is not this patient's)."""
        ...

    def fetch_image(self, image_id: str, *, max_bytes: int) -> ImageContent:
        """The image's bytes; ImageTooLarge when it is (or turns out to be) larger than `max_bytes`."""
        ...
