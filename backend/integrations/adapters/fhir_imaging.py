"""PACS images over FHIR (ImagingStudy / Media / Binary): mixed into FhirPacsAdapter."""


class FhirImagingMixin:
    """Image methods of the PACS port; `self.fhir` is the adapter's FhirClient."""
