import pytest

from tests.factories import ReadingFactory


@pytest.mark.django_db
def test_reading_roundtrip():
    reading = ReadingFactory()
    assert reading.machine.bearings.count() == 1
