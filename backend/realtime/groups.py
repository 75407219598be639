"""Names of the channel-layer groups. Group names are ASCII letters, digits, '-', '_' and '.' (< 100 chars)."""


def user_group(user_uuid) -> str:
    return f"user.{user_uuid}"


def patient_group(account_uuid) -> str:
    return f"patient.{account_uuid}"


def ward_group(ward_id) -> str:
    return f"ward.{ward_id}"


def case_group(case_uuid) -> str:
    return f"case.{case_uuid}"
