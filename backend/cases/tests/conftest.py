import pytest


@pytest.fixture
def centre_ward():
    from org.models import ManagementMode
    from tests.builders import make_ward

    return make_ward(ManagementMode.CENTRE)


@pytest.fixture
def outpatient_ward():
    from org.models import ManagementMode
    from tests.builders import make_ward

    return make_ward(ManagementMode.OUTPATIENT)
