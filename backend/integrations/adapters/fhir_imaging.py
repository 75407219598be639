"""PACS images over FHIR R4 (DiagnosticReport.media → Media → Binary): mixed into FhirPacsAdapter (D3).

- `list_images(reg_no, report_no)`: the report is searched by subject and identifier, with its Media included
  (`_include=DiagnosticReport:media`); a server that does not include them, or sends the report without its
  `media` links in searches, is asked for the report by id and then for the Media by `_id`. Media of another
  patient are never returned (a PACS that mixes them up is logged, not trusted).
- `fetch_image(image_id, max_bytes=...)`: Media/<id> names the content (`content.url` → Binary, or inline
  `content.data`); the Binary is streamed and the transfer stops as soon as it passes `max_bytes`, so a size the
  PACS declared too small does not get past the limit. The URL must stay on the configured server (like paging
  links): our session goes only where settings say.
"""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import urljoin

from core.errors import ExternalServiceError
from integrations.http import RemoteError, run_call
from integrations.ports.pacs import ExamImage, ImageContent, ImageTooLarge

logger = logging.getLogger(__name__)
_CHUNK = 64 * 1024
_MAX_IMAGES = 50  # per report: more is a query bug, not a report


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def map_media(resource: dict, report_no: str) -> ExamImage:
    from integrations.adapters.fhir import _datetime

    content = resource.get("content") or {}
    try:
        taken_at = _datetime(resource.get("createdDateTime"))
    except ValueError:
        taken_at = None
    return ExamImage(image_id=resource.get("id", ""), report_no=report_no,
                     title=(content.get("title") or "")[:200], content_type=(content.get("contentType") or "")[:100],
                     size_bytes=_int(content.get("size")), taken_at=taken_at)


class FhirImagingMixin:
    """Image methods of the PACS port; `self.fhir` is the adapter's FhirClient."""

    def _report_with_media(self, reg_no: str, report_no: str) -> tuple[dict | None, dict]:
        from integrations.adapters.fhir import _ref_id

        params = {"subject": f"Patient/{reg_no}", "identifier": report_no, "_include": "DiagnosticReport:media"}
        reports, included = self.fhir.search("DiagnosticReport", params, operation="find_exam_report")
        # A server may ignore the identifier parameter: keep only this report, and only this patient's.
        report = next((r for r in reports if report_no in {i.get("value") for i in r.get("identifier", [])}
                       and _ref_id(r.get("subject")) == reg_no), None)
        if report is None:
            return None, {}
        if "media" not in report and report.get("id"):
            response = self.fhir.http.get(f"/DiagnosticReport/{report['id']}", operation="read_exam_report",
                                          accept=(404,))
            if response.status_code == 200:
                report = response.json()
        return report, included.get("Media", {})

    def list_images(self, reg_no: str, report_no: str) -> list[ExamImage]:
        from integrations.adapters.fhir import _ref_id

        report, media = self._report_with_media(reg_no, report_no)
        if report is None:
            return []
        ids = [_ref_id(link.get("link")) for link in report.get("media", [])][:_MAX_IMAGES]
        ids = [i for i in ids if i]
        missing = [i for i in ids if i not in media]
        if missing:
            found, _ = self.fhir.search("Media", {"_id": ",".join(missing)}, operation="list_images")
            media = {**media, **{m.get("id"): m for m in found}}
        out = []
        for image_id in ids:
            resource = media.get(image_id)
            if resource is None:
                continue
            if _ref_id(resource.get("subject")) not in ("", reg_no):
                logger.error("PACS image %s of report %s belongs to another patient; skipped", image_id, report_no)
                continue
            out.append(map_media(resource, report_no))
        return out

    def _binary_url(self, url: str) -> str:
        from integrations.adapters.fhir import _origin

        absolute = urljoin(self.fhir.http.base + "/", url)
        if _origin(absolute) != _origin(self.fhir.http.base):
            logger.error("PACS image content is on another server (%s); not fetched", _origin(absolute))
            raise ExternalServiceError(code="external_invalid_answer",
                                       extra={"port": self.fhir.http.port, "operation": "fetch_image"})
        return absolute

    def fetch_image(self, image_id: str, *, max_bytes: int) -> ImageContent:
        media = self.fhir.http.get(f"/Media/{image_id}", operation="read_image").json()
        content = media.get("content") or {}
        declared = _int(content.get("size"))
        if declared is not None and declared > max_bytes:
            raise ImageTooLarge(image_id, limit=max_bytes, size_bytes=declared)
        content_type = content.get("contentType") or "application/octet-stream"
        if content.get("data"):
            try:
                raw = base64.b64decode(content["data"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ExternalServiceError(code="external_invalid_answer",
                                           extra={"port": self.fhir.http.port, "operation": "fetch_image"}) from exc
            if len(raw) > max_bytes:
                raise ImageTooLarge(image_id, limit=max_bytes, size_bytes=len(raw))
            return ImageContent(content_type=content_type, content=raw)
        if not content.get("url"):
            raise ExternalServiceError(code="external_invalid_answer",
                                       extra={"port": self.fhir.http.port, "operation": "fetch_image"})
        url = self._binary_url(content["url"])
        http = self.fhir.http

        def attempt(_n):
            with http.session.get(url, headers={"Accept": content_type}, stream=True,
                                  timeout=http.policy.timeout) as response:
                if response.status_code >= 400:
                    raise RemoteError(response)
                length = _int(response.headers.get("Content-Length"))
                if length is not None and length > max_bytes:
                    return None, length
                chunks, total = [], 0
                for chunk in response.iter_content(_CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        return None, total  # stop reading: the rest is never transferred
                    chunks.append(chunk)
                return response.headers.get("Content-Type", content_type).split(";")[0].strip(), b"".join(chunks)

        kind, body = run_call(port=http.port, operation="fetch_image", fn=attempt, policy=http.policy,
                              summary={"image": image_id}, ok_http_status=lambda _r: 200, sleep=http.sleep)
        if kind is None:
            raise ImageTooLarge(image_id, limit=max_bytes, size_bytes=body if declared is None else declared)
        return ImageContent(content_type=kind or content_type, content=body)
