"""Demo consent set-up: the default consent templates of the hospital (published), idempotent."""

from consent.services import consent_templates_ensure_default


def seed_consent(hospital, *, write=print) -> dict:
    created = consent_templates_ensure_default(hospital)
    write(f"  consent: {created} default consent templates published")
    return {"templates": created}
