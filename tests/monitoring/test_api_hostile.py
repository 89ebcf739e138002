"""Oversized or hostile input is rejected or taken as plain text, never run as an operator."""

import pytest

from tests.factories import fleet_fixtures

fleet, fleet_db = fleet_fixtures()


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {m["machine_name"] for m in response.json()["results"]}


@pytest.mark.parametrize("size", ["501", "100000", "99999999999999999999"])
def test_huge_page_sizes_are_refused(fleet_db, client, size):
    response = client.get(f"/api/machines?page_size={size}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page_size"]


def test_ten_thousand_character_values_are_refused(fleet_db, client):
    for url in ("/api/machines/search?q=", "/api/machines?customer=", "/api/data/query?area="):
        response = client.get(url + "x" * 10_000)
        assert response.status_code == 400, url
        assert "characters" in str(response.json()["errors"])


@pytest.mark.parametrize("q", [".*", "^", "(", "[a-z]+", "\\", "a|b", "$where"])
def test_regex_metacharacters_in_q_are_plain_text(fleet_db, client, q):
    # No machine name contains these characters literally, so nothing matches; as a regex,
    # ".*" or "[a-z]+" would match every machine and "(" would be a server error.
    assert names(client.get("/api/machines/search", {"q": q})) == set()


def test_q_matches_literal_text_case_insensitively(fleet_db, client):
    assert names(client.get("/api/machines/search", {"q": "FEED pump"})) == {"Boiler Feed Pump"}


@pytest.mark.parametrize(
    "query",
    [
        {"customer": '{"$ne": ""}'},
        {"customer": "$ne"},
        {"area": '{"$gt": ""}'},
        {"machine_type": '{"$regex": ".*"}'},
    ],
)
def test_operator_looking_values_are_plain_values(fleet_db, client, query):
    # As operators these would match every machine; as text they match none.
    assert names(client.get("/api/machines", query)) == set()


@pytest.mark.parametrize("param", ["customer[$ne]", "customer.$ne", "$where", "status[$in][]"])
def test_operator_looking_parameter_names_are_unknown(fleet_db, client, param):
    response = client.get(f"/api/machines?{param}=x")
    assert response.status_code == 400
    assert response.json()["errors"] == {param: ["Unknown query parameter."]}


@pytest.mark.parametrize(
    "url",
    [
        "/api/machines?customer=%ff%fe",
        "/api/machines/search?q=%c3%28",
        "/api/dashboard/trends/hourly?tz=%ed%a0%80",
        "/api/data/query?area=%80",
    ],
)
def test_invalid_utf8_is_rejected_or_plain_text(fleet_db, client, url):
    response = client.get(url)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json().get("results", []) == []
    else:
        assert set(response.json()) == {"detail", "errors"}


def test_operator_in_a_path_id_is_not_found(fleet_db, client):
    for url in ("/api/machines/%7B%22$ne%22:1%7D", "/api/readings/$gt/fft"):
        assert client.get(url).status_code == 404
