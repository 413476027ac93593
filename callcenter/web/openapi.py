"""The OpenAPI 3.1 document, generated from the declared routes.

Strategy: every route is declared once with its models (see `endpoint.py`); this module
walks those declarations, so the document lists exactly the routes the server has, with
the request and response schemas the server checks. Pydantic's JSON Schema output is
used as is, its definitions hoisted into `components.schemas`. Shared error responses
are described once. The websockets are described in the document's description.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter

from callcenter.web.endpoint import Endpoint

REF = "#/components/schemas/{model}"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "details"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {}},
            },
        }
    },
}
WEBSOCKETS = """
Websockets (authenticated by the session cookie; closed with 4401 when not logged in, and
at once when the session ends (logout, a new login, a changed password or role,
deactivation), with the reason; 4403 when not allowed):

* `/ws/agent` (agents): `snapshot` {agent, offer, call}, then `state` {agent}, `offer`
  {call_id, queue, ring_timeout, offered_at, pop}, `offer_cancelled` {call_id, reason},
  `connected` {call_id}, `ended` {call_id}, `wrap_up` {call_id, ends_at, seconds}.
* `/ws/wallboard` (supervisors, admins): `snapshot` {at, queues, agents, calls, alerts},
  then `changes` with the queues and agents that changed and the full calls and alerts,
  at least once a second.
"""


def _schema(target: Any, components: dict[str, Any]) -> dict[str, Any]:
    schema = TypeAdapter(target).json_schema(ref_template=REF)
    components.update(schema.pop("$defs", {}))
    if isinstance(target, type) and issubclass(target, BaseModel):
        # A named model is a component of its own, referred to by name.
        components[target.__name__] = schema
        return {"$ref": REF.format(model=target.__name__)}
    return schema


def build_openapi(endpoints: list[Endpoint], version: str) -> dict[str, Any]:
    """The OpenAPI document of `endpoints`."""
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for ep in endpoints:
        operation: dict[str, Any] = {
            "summary": ep.summary,
            "tags": [ep.tag],
            "operationId": ep.handler.__name__,
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"{(\w+)}", ep.path)
            ],
            "responses": {},
        }
        if ep.query is not None:
            schema = TypeAdapter(ep.query).json_schema(ref_template=REF)
            components.update(schema.pop("$defs", {}))
            required = set(schema.get("required", []))
            for name, prop in schema.get("properties", {}).items():
                operation["parameters"].append(
                    {"name": name, "in": "query", "required": name in required, "schema": prop}
                )
        if ep.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _schema(ep.body, components)}},
            }
        if ep.response is None:
            operation["responses"]["204"] = {"description": "done"}
        else:
            content = {"application/json": {"schema": _schema(ep.response, components)}}
            if ep.query is not None and "format" in ep.query.model_fields:
                content["text/csv"] = {"schema": {"type": "string"}}
            operation["responses"][str(ep.status)] = {"description": "OK", "content": content}
        errors = {"422": "invalid request", "400": "malformed request"}
        if ep.roles is not None:
            errors |= {"401": "not logged in", "403": "not allowed or bad CSRF token"}
        for status, text in errors.items():
            operation["responses"][status] = {
                "description": text,
                "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
            }
        paths.setdefault(ep.path, {})[ep.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Call center API",
            "version": version,
            "description": "The agent desktop, wallboard, reports and admin API." + WEBSOCKETS,
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "cc_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
        },
        "security": [{"session": [], "csrf": []}],
        "paths": paths,
    }
