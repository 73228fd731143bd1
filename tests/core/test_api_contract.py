"""The API answers what its OpenAPI schema says: every list and report an integration can
read, and the first object of each list, as the demo's people and ERP see them, checked
against the schema's answer for that status (a client generated from the schema reads
them as they come)."""

import jsonschema
import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

USERS = ("erp", "dispatcher", "supervisor", "operator")
# What the reports that need a warehouse are asked for.
QUERY = {"warehouse": "BJ1"}


def _json_schema(node: object) -> object:
    """OpenAPI 3.0's schema dialect as JSON Schema: `nullable` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out


def _answer_schema(schema: dict, operation: dict, status: int) -> dict:
    answer = operation["responses"].get(str(status))
    assert answer is not None, f"status {status} is not documented"
    body = answer["content"]["application/json"]["schema"]
    return {**_json_schema(body), "components": _json_schema(schema["components"])}


def _checked(schema: dict, path: str, client: APIClient, url: str) -> dict | list:
    operation = schema["paths"][path]["get"]
    answer = client.get(url)
    body = answer.json()
    jsonschema.Draft4Validator(_answer_schema(schema, operation, answer.status_code)).validate(body)
    return body if answer.status_code == 200 else {}


@pytest.mark.django_db(transaction=True)
def test_every_readable_answer_is_what_the_schema_says():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from django.contrib.auth import get_user_model

    people = get_user_model().objects
    schema = None
    read = 0
    for username in USERS:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=people.get(username=username))
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        schema = schema or client.get("/api/schema/?format=json").json()
        for path, operations in schema["paths"].items():
            if "{" in path or "get" not in operations:
                continue
            names = {p["name"] for p in operations["get"].get("parameters", [])}
            query = {k: v for k, v in QUERY.items() if k in names}
            body = _checked(schema, path, client, path + ("?warehouse=BJ1" if query else ""))
            read += 1
            first = (body.get("results") or [None])[0] if isinstance(body, dict) else None
            detail = f"{path}{{id}}/"
            if isinstance(first, dict) and "id" in first and detail in schema["paths"]:
                _checked(schema, detail, client, f"{path}{first['id']}/")
                read += 1
    assert read > 100
