"""S4: procedures and departments excluded from theatre scheduling (they skip it without blocking the flow)."""


def is_excluded(case) -> bool:
    """Whether the case's procedure or department is excluded from theatre scheduling (hospital configuration)."""
    return False  # replaced by the scheduling context's configured exclusions in this work
