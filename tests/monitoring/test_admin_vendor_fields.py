"""Vendor-owned machine and bearing fields are read-only in the admin.

The catalogue sync overwrites them, and a machine's customer and area are copied onto its
bearings, readings and rollups (moved together only by machine_owner_propagate): a staff edit
would either diverge from those copies (leaking data across customers) or be silently undone.
"""

import pytest
from django.urls import reverse

from monitoring.models import Bearing, Machine
from tests.factories import BearingFactory, MachineFactory, ReadingFactory

pytestmark = pytest.mark.django_db

VENDOR_NOTE = "read-only here, every ingestion run sets these"


def _vendor_state(model, pk) -> dict:
    obj = model.objects.get(pk=pk)
    skip = {"id", "notes", "updated_at", "created_at"}
    return {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields} | {
        k: None for k in skip
    }


def test_machine_change_form_keeps_vendor_fields_and_saves_staff_notes(admin_client):
    bearing = BearingFactory(machine__customer="Acme", machine__area="Utilities")
    ReadingFactory(bearing=bearing)
    machine = bearing.machine
    url = reverse("admin:monitoring_machine_change", args=[machine.pk])
    html = admin_client.get(url).content.decode()
    assert VENDOR_NOTE in html
    assert 'name="customer"' not in html and 'name="machine_name"' not in html
    assert 'name="notes"' in html
    before = _vendor_state(Machine, machine.pk)

    response = admin_client.post(url, {
        "notes": "seal replaced",
        "machine_name": "Renamed", "customer": "Globex", "area": "Press shop",
        "subarea": "x", "machine_type": "Fan", "running_speed_rpm": "900", "iso_group": "1",
        "foundation": "flexible", "external_id": "M-HACKED",
        "bearings-TOTAL_FORMS": "1", "bearings-INITIAL_FORMS": "1",
        "bearings-MIN_NUM_FORMS": "0", "bearings-MAX_NUM_FORMS": "1000",
        "bearings-0-id": str(bearing.pk), "bearings-0-machine": str(machine.pk),
        "bearings-0-bearing_location": "Moved", "bearings-0-bearing_type": "9999",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    machine.refresh_from_db()
    assert machine.notes == "seal replaced"
    assert _vendor_state(Machine, machine.pk) == before
    bearing.refresh_from_db()
    assert (bearing.bearing_location, bearing.bearing_type, bearing.customer) != (
        "Moved", "9999", "Globex",
    )  # fmt: skip


def test_bearing_change_form_changes_no_vendor_field(admin_client):
    bearing = BearingFactory(machine__customer="Acme")
    other = MachineFactory(customer="Globex")
    url = reverse("admin:monitoring_bearing_change", args=[bearing.pk])
    html = admin_client.get(url).content.decode()
    assert VENDOR_NOTE in html
    assert 'name="machine"' not in html and 'name="bearing_type"' not in html
    before = _vendor_state(Bearing, bearing.pk)

    response = admin_client.post(url, {
        "machine": str(other.pk), "customer": "Globex", "bearing_location": "Moved",
        "bearing_type": "9999", "rolling_elements": "99", "external_id": "B-HACKED",
    })  # fmt: skip
    assert response.status_code == 302
    assert _vendor_state(Bearing, bearing.pk) == before


def test_a_bearing_added_by_staff_takes_its_machines_customer(admin_client):
    machine = MachineFactory(customer="Globex")
    response = admin_client.post(reverse("admin:monitoring_bearing_add"), {
        "machine": str(machine.pk), "external_id": "B-STAFF", "bearing_location": "Gear DE",
        "bearing_type": "6205", "position": "", "contact_angle_deg": "0",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Bearing.objects.get(external_id="B-STAFF").customer == "Globex"


def test_add_pages_still_offer_the_vendor_fields(admin_client):
    for name, field in (("machine", "customer"), ("bearing", "bearing_type")):
        response = admin_client.get(reverse(f"admin:monitoring_{name}_add"))
        assert response.status_code == 200
        assert f'name="{field}"' in response.content.decode()
