"""HIS ADT over FHIR (admission A01, transfer A02, discharge A03 as Encounter writes): mixed into FhirHisAdapter."""


class FhirAdtMixin:
    """ADT methods of the HIS port; `self.fhir` is the adapter's FhirClient."""
