"""/api/machines, /api/machines/search, /api/machines/{id} and /latest-readings."""

import pytest

from tests.factories import fleet_fixtures

# The shared read-only fleet, built once for this module.
fleet, fleet_db = fleet_fixtures()


ALL_NAMES = ["Air Compressor", "Boiler Feed Pump", "Cooling Fan", "Hydraulic Press", "Spare Motor"]


def names(response):
    assert response.status_code == 200, response.content
    return [m["machine_name"] for m in response.json()["results"]]


def error(response, status=400):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    return body


# --- list ------------------------------------------------------------------------------------


def test_list_items_and_default_order(fleet_db, client):
    f = fleet_db
    body = client.get("/api/machines").json()
    assert body["count"] == 5
    assert [m["machine_name"] for m in body["results"]] == ALL_NAMES
    pump = body["results"][1]
    assert pump == {
        "id": str(f.m1.pk),
        "machine_name": "Boiler Feed Pump",
        "customer": "Acme",
        "area": "Utilities",
        "subarea": "Boiler house",
        "machine_type": "Pump",
        "status": "Satisfactory",
        "bearing_count": 2,
        "last_reading_at": "2026-03-10T12:10:00Z",
        "open_alarm_count": 0,
        "open_alarms": {},
    }
    spare = body["results"][4]
    assert spare["status"] is None and spare["last_reading_at"] is None
    assert spare["bearing_count"] == 1


def test_trailing_slash_answers_directly(fleet_db, client):
    response = client.get("/api/machines/")
    assert response.status_code == 200
    assert response.json()["count"] == 5


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("customer=Globex", ["Air Compressor", "Spare Motor"]),
        ("customer=Acme&customer=Globex", ALL_NAMES),
        ("area=Press shop", ["Hydraulic Press"]),
        (
            "area=Utilities,Workshop",
            ["Air Compressor", "Boiler Feed Pump", "Cooling Fan", "Spare Motor"],
        ),
        ("subarea=Cooling", ["Cooling Fan"]),
        ("machine_type=Pump,Fan", ["Boiler Feed Pump", "Cooling Fan"]),
        ("status=Alert", ["Hydraulic Press"]),
        ("status=alert,unacceptable", ["Air Compressor", "Hydraulic Press"]),
        ("status=Normal&status=Satisfactory", ["Boiler Feed Pump", "Cooling Fan"]),
        ("customer=Acme&area=Utilities", ["Boiler Feed Pump", "Cooling Fan"]),
        ("customer=Nobody", []),
    ],
)
def test_list_filters(fleet_db, client, query, expected):
    assert names(client.get(f"/api/machines?{query}")) == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("machine_name", ALL_NAMES),
        ("-machine_name", ALL_NAMES[::-1]),
        # By severity, not alphabetically; machines without data first ascending.
        (
            "status",
            ["Spare Motor", "Cooling Fan", "Boiler Feed Pump", "Hydraulic Press", "Air Compressor"],
        ),
        (
            "-status",
            ["Air Compressor", "Hydraulic Press", "Boiler Feed Pump", "Cooling Fan", "Spare Motor"],
        ),
        (
            "-last_reading_at",
            ["Air Compressor", "Cooling Fan", "Boiler Feed Pump", "Hydraulic Press", "Spare Motor"],
        ),
    ],
)
def test_list_ordering(fleet_db, client, ordering, expected):
    assert names(client.get(f"/api/machines?ordering={ordering}")) == expected


def test_list_pagination(fleet_db, client):
    first = client.get("/api/machines?page_size=2").json()
    assert first["count"] == 5
    assert [m["machine_name"] for m in first["results"]] == ALL_NAMES[:2]
    assert first["previous"] is None
    assert "page=2" in first["next"] and "page_size=2" in first["next"]
    third = client.get("/api/machines?page_size=2&page=3").json()
    assert [m["machine_name"] for m in third["results"]] == ALL_NAMES[4:]
    assert third["next"] is None
    assert names(client.get("/api/machines?page_size=500")) == ALL_NAMES


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=501", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=abc", "page_size"),
        ("page=abc", "page"),
        ("status=Broken", "status"),
        ("ordering=customer", "ordering"),
        ("colour=red", "colour"),
        ("customer=" + "x" * 201, "customer"),
    ],
)
def test_list_bad_parameters(fleet_db, client, query, field):
    body = error(client.get(f"/api/machines?{query}"))
    assert list(body["errors"]) == [field]
    assert field in body["detail"]


def test_page_size_over_max_names_the_limit(fleet_db, client):
    body = error(client.get("/api/machines?page_size=501"))
    assert body["errors"]["page_size"] == ["Must be at most 500."]


def test_unknown_status_names_the_value(fleet_db, client):
    body = error(client.get("/api/machines?status=Normal,Broken"))
    assert "Broken" in body["errors"]["status"][0]


def test_page_past_the_end_is_a_bad_page_parameter(fleet_db, client):
    body = error(client.get("/api/machines?page=9"))
    assert body["errors"] == {"page": ["Invalid page."]}


def test_blank_parameters_are_refused(fleet_db, client):
    body = error(client.get("/api/machines?customer=&area=Utilities"))
    assert body["errors"] == {"customer": ["May not be blank."]}


def test_unknown_params_are_all_named(fleet_db, client):
    body = error(client.get("/api/machines?b=1&a=2"))
    assert sorted(body["errors"]) == ["a", "b"]


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=PUMP", ["Boiler Feed Pump"]),
        ("q=globex", ["Air Compressor", "Spare Motor"]),  # customer
        ("q=press", ["Air Compressor", "Hydraulic Press"]),  # "Compressor", "Press shop"
        ("q=boiler house", ["Boiler Feed Pump"]),  # subarea
        ("q=compressed", ["Air Compressor"]),
        ("q=fan", ["Cooling Fan"]),  # type and name
        ("q=.*", []),  # regex characters are literal text
        ("q=(", []),
        ("q=", ALL_NAMES),
        ("has_alert=true", ["Air Compressor", "Hydraulic Press"]),
        ("has_alert=false", ["Boiler Feed Pump", "Cooling Fan", "Spare Motor"]),
        ("q=acme&has_alert=true", ["Hydraulic Press"]),
        ("status=Normal,Satisfactory&q=o", ["Boiler Feed Pump", "Cooling Fan"]),
        (
            "customer=Acme&ordering=-machine_name",
            ["Hydraulic Press", "Cooling Fan", "Boiler Feed Pump"],
        ),
    ],
)
def test_search(fleet_db, client, query, expected):
    assert names(client.get(f"/api/machines/search?{query}")) == expected


def test_search_is_not_taken_for_a_machine_id(fleet_db, client):
    response = client.get("/api/machines/search")
    assert response.status_code == 200
    assert response.json()["count"] == 5


def test_search_pagination(fleet_db, client):
    body = client.get("/api/machines/search?q=utilities&page_size=2&page=2").json()
    assert body["count"] == 3
    assert [m["machine_name"] for m in body["results"]] == ["Cooling Fan"]
    assert body["previous"] is not None and body["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("has_alert=maybe", "has_alert"),
        ("q=" + "x" * 201, "q"),
        ("page_size=501", "page_size"),
        ("status=Bad", "status"),
        ("search=pump", "search"),
    ],
)
def test_search_bad_parameters(fleet_db, client, query, field):
    body = error(client.get(f"/api/machines/search?{query}"))
    assert list(body["errors"]) == [field]


def test_list_rejects_search_only_parameters(fleet_db, client):
    assert list(error(client.get("/api/machines?q=pump"))["errors"]) == ["q"]


# --- detail ----------------------------------------------------------------------------------


def test_detail(fleet_db, client):
    f = fleet_db
    response = client.get(f"/api/machines/{f.m1.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["machine_name"] == "Boiler Feed Pump"
    assert body["status"] == "Satisfactory"
    assert body["running_speed_rpm"] == 1500.0
    assert body["bearing_count"] == 2
    assert body["bearings"] == [
        {
            "id": str(f.b1.pk),
            "bearing_location": "Motor DE",
            "bearing_type": "6205",
            "position": "horizontal",
            "shaft_speed_rpm": None,
            "measurement_direction": None,
            "status": "Satisfactory",
            "last_reading_at": "2026-03-10T12:10:00Z",
        },
        {
            "id": str(f.b2.pk),
            "bearing_location": "Pump NDE",
            "bearing_type": "6310",
            "position": "horizontal",
            "shaft_speed_rpm": None,
            "measurement_direction": None,
            "status": "Normal",
            "last_reading_at": "2026-03-10T12:10:00Z",
        },
    ]
    assert client.get(f"/api/machines/{f.m1.pk}/").json() == body


@pytest.mark.parametrize(
    "machine_id",
    [
        "zzz",
        "123",
        "6650f1c2a1b2c3d4e5f6071",
        "6650f1c2a1b2c3d4e5f60718",
        "6650f1c2a1b2c3d4e5f6071g",
        "%24where",
    ],
)
def test_detail_unknown_or_malformed_id_is_404(fleet_db, client, machine_id):
    body = error(client.get(f"/api/machines/{machine_id}"), 404)
    assert body == {"detail": "No machine with this id.", "errors": {}}


def test_detail_rejects_unknown_params(fleet_db, client):
    f = fleet_db
    assert list(error(client.get(f"/api/machines/{f.m1.pk}?status=Alert"))["errors"]) == ["status"]


# --- latest readings -------------------------------------------------------------------------


def test_latest_readings(fleet_db, client):
    f = fleet_db
    response = client.get(f"/api/machines/{f.m1.pk}/latest-readings")
    assert response.status_code == 200
    rows = response.json()
    assert [(r["bearing_id"], r["bearing_location"]) for r in rows] == [
        (str(f.b1.pk), "Motor DE"),
        (str(f.b2.pk), "Pump NDE"),
    ]
    motor = rows[0]["reading"]
    assert motor == {
        "id": str(f.readings[3].pk),
        "machine_id": str(f.m1.pk),
        "bearing_id": str(f.b1.pk),
        "customer": "Acme",
        "area": "Utilities",
        "timestamp": "2026-03-10T12:10:00Z",
        "status": "Satisfactory",
        "acceleration": {"rms": 0.2, "peak": 0.6, "crest_factor": 3.0, "kurtosis": 3.0},
        "velocity": {"rms": 2.0, "peak": 3.0, "crest_factor": 1.5},
        "envelope": None,
        "temperature": 42.0,
        "velocity_band_hz": [10.0, 1000.0],
        "band_limited": False,
        "zone_standard": "ISO 20816-3:2022",
    }
    assert "spectrum" not in motor
    assert rows[1]["reading"]["id"] == str(f.readings[6].pk)
    assert rows[1]["reading"]["velocity"]["rms"] == 0.9


def test_latest_readings_of_a_machine_without_readings(fleet_db, client):
    f = fleet_db
    rows = client.get(f"/api/machines/{f.m5.pk}/latest-readings").json()
    assert rows == [
        {
            "bearing_id": str(f.b6.pk),
            "bearing_location": "Motor NDE",
            "bearing_type": "6205",
            "position": "horizontal",
            "reading": None,
        }
    ]


@pytest.mark.parametrize("machine_id", ["nope", "6650f1c2a1b2c3d4e5f60718"])
def test_latest_readings_unknown_machine(fleet_db, client, machine_id):
    error(client.get(f"/api/machines/{machine_id}/latest-readings"), 404)


def test_latest_readings_rejects_params(fleet_db, client):
    f = fleet_db
    error(client.get(f"/api/machines/{f.m1.pk}/latest-readings?page=2"))
