"""One open alarm per bearing and rule, also when two evaluators raise it at the same moment."""

import contextlib
import threading

import pytest
from django.db import connections

from monitoring.alarms import lifecycle
from monitoring.alarms.lifecycle import Signal, alarm_signal
from monitoring.alarms.models import Alarm
from monitoring.alarms.services import alarms_evaluate
from monitoring.mongo import collection
from tests.factories import BearingFactory
from tests.monitoring.alarms.support import T0, series

pytestmark = pytest.mark.django_db(transaction=True)


def _together(n_threads: int, work) -> list:
    """Run ``work(i)`` in threads released at the same instant; re-raise their errors."""
    barrier, errors = threading.Barrier(n_threads), []

    def run(i):
        try:
            barrier.wait()
            work(i)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _signal(bearing, subject: str, severity: str) -> Signal:
    owner = {"customer": "Acme", "area": "", "machine_id": bearing.machine_id,
             "bearing_id": bearing.pk}  # fmt: skip
    return Signal(subject=subject, rule_type="zone", rule_id="", severity=severity, at=T0,
                  owner=owner, evidence={})  # fmt: skip


def test_two_evaluators_raising_the_same_subject_leave_one_alarm():
    bearing = BearingFactory()
    subjects = [f"{bearing.pk}:race{i}" for i in range(15)]
    for subject in subjects:
        _together(2, lambda i, s=subject: alarm_signal(_signal(bearing, s, ("alert", "danger")[i])))
    for subject in subjects:
        assert collection(Alarm).count_documents({"subject": subject}) == 1
        assert collection(Alarm).count_documents({"open_key": subject}) == 1


def test_the_race_is_real_the_loser_collides_and_updates(monkeypatch):
    """Prove the test can fail: without the unique key the same race makes duplicates."""
    bearing = BearingFactory()
    subject = f"{bearing.pk}:race"
    collided = []
    original = lifecycle._insert

    def slow_insert(signal):
        try:
            return original(signal)
        except Exception as exc:
            collided.append(exc)
            raise

    monkeypatch.setattr(lifecycle, "_insert", slow_insert)
    # Both look before either inserts: force it by making the lookup miss for both.
    seen = threading.Barrier(2)
    real_find_one = collection(Alarm).__class__.find_one

    def find_one(self, *args, **kwargs):
        doc = real_find_one(self, *args, **kwargs)
        if self.name == "alarms" and not collided and doc is None:
            with contextlib.suppress(threading.BrokenBarrierError):
                seen.wait(timeout=2)
        return doc

    monkeypatch.setattr(collection(Alarm).__class__, "find_one", find_one)
    _together(2, lambda i: alarm_signal(_signal(bearing, subject, "alert")))
    assert len(collided) == 1  # the unique index refused the second insert
    assert collection(Alarm).count_documents({"subject": subject}) == 1


def test_two_ingestion_evaluations_of_the_same_readings_raise_once():
    bearing = BearingFactory()
    readings = series(bearing, [1.0] * 10 + [5.0, 5.0])
    _together(2, lambda i: alarms_evaluate(readings=readings))
    assert collection(Alarm).count_documents({"open_key": f"{bearing.pk}:zone"}) == 1
    assert collection(Alarm).count_documents({"rule_type": "zone"}) == 1
