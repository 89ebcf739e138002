"""The OpenAPI schema validates without warnings and documents every endpoint."""

import pytest
import yaml
from django.core.management import call_command

EXPECTED_PATHS = {
    "/api/machines": "get",
    "/api/machines/search": "get",
    "/api/machines/{machine_id}": "get",
    "/api/machines/{machine_id}/latest-readings": "get",
    "/api/machines/{machine_id}/timeseries": "get",
    "/api/bearings": "get",
    "/api/data/query": "get",
    "/api/readings/{reading_id}/fft": "get",
    "/api/readings/{reading_id}/waveform": "get",
    "/api/readings/{reading_id}/envelope": "get",
    "/api/dashboard/kpis": "get",
    "/api/dashboard/trends/hourly": "get",
    "/api/dashboard/trends/status": "get",
    "/health": "get",
    "/health/ready": "get",
    "/api/stats": "get",
    "/api/export/readings.csv": "get",
    "/api/export/trends.csv": "get",
    "/api/machines/{machine_id}/report": "get",
    "/api/alarms": "get",
    "/api/alarms/summary": "get",
    "/api/alarms/{alarm_id}": "get",
    "/api/alarms/{alarm_id}/ack": "post",
    "/api/alarms/{alarm_id}/clear": "post",
    "/api/alarms/{alarm_id}/close": "post",
    "/api/alarms/{alarm_id}/assign": "post",
    "/api/alarms/{alarm_id}/comments": "post",
    "/api/alarm-rules": "get",
    "/api/alarm-rules/{rule_id}": "put",
    "/api/alarm-rules/{rule_id}/preview": "post",
    "/api/audit": "get",
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # --fail-on-warn turns any drf-spectacular warning into an error (SystemExit).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    return yaml.safe_load(out.read_text())


def test_schema_validates_and_lists_every_path(schema):
    assert set(schema["paths"]) == set(EXPECTED_PATHS)
    for path, method in EXPECTED_PATHS.items():
        assert method in schema["paths"][path], path


def test_every_api_operation_documents_errors(schema):
    for path, operations in schema["paths"].items():
        # Every operation (the alarm actions are POSTs; creating a rule answers 201).
        for method, operation in operations.items():
            responses = operation["responses"]
            if path in ("/health", "/health/ready"):
                assert set(responses) == {"200", "503"}
                continue
            assert {"400", "503"} <= set(responses), (path, method)
            assert {"200", "201"} & set(responses), (path, method)
        responses = next(iter(operations.values()))["responses"]
        if path in ("/health", "/health/ready"):
            continue
        assert responses["400"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        if "{" in path or path == "/api/bearings":
            assert "404" in responses, path


def test_ids_are_24_hex_strings(schema):
    machine = schema["components"]["schemas"]["Machine"]["properties"]["id"]
    assert machine["type"] == "string" and machine["pattern"] == "^[0-9a-f]{24}$"
    params = schema["paths"]["/api/machines/{machine_id}"]["get"]["parameters"]
    [path_param] = [p for p in params if p["in"] == "path"]
    assert path_param["schema"]["pattern"] == "^[0-9a-f]{24}$"


def test_enums_are_documented(schema):
    params = {
        p["name"]: p
        for p in schema["paths"]["/api/machines/{machine_id}/timeseries"]["get"]["parameters"]
    }
    assert params["metrics"]["schema"]["items"]["enum"][0] == "acceleration.rms"
    assert params["interval"]["schema"]["enum"] == ["raw", "hour", "day"]
    assert params["agg"]["schema"]["enum"] == ["avg", "max", "min"]
    machine_params = {p["name"]: p for p in schema["paths"]["/api/machines"]["get"]["parameters"]}
    assert machine_params["status"]["schema"]["items"]["enum"] == [
        "Normal",
        "Satisfactory",
        "Alert",
        "Unacceptable",
    ]
    assert machine_params["page_size"]["schema"]["maximum"] == 500
