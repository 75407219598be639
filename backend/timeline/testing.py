"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): the case's timeline projection (its
nodes and their transition history), derived from the case's events as in production."""


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    from timeline.services import timeline_sync

    timeline_sync(case)
