"""The parts of /openapi.json that depend on the deployment rather than on the code: which brands
`brand` accepts, and how to authenticate. FastAPI builds the rest from the routes' types.

The brands are the config's, so they are filled in when the app is built: a client generator
then offers exactly the names the API accepts instead of a free string that it refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

SECURITY_SCHEMES = {
    "bearerToken": {"type": "http", "scheme": "bearer", "description": "A token from [web] api_tokens."},
    "loginSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "listener_session",
        "description": "The dashboard's login session (log in at /login).",
    },
}


def describe_deployment(app: FastAPI, brand_names: list[str], topic_names: list[str] | None = None) -> None:
    """Makes `app.openapi()` declare `brand` as an enum of `brand_names` (blank included: it means
    every brand), `topic`'s items as an enum of `topic_names` (blank: any), and both ways to
    authenticate, on every operation."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            _declare_brands(schema, [*brand_names, ""])
            _declare_topics(schema, [*(topic_names or []), ""])
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            schema["security"] = [{name: []} for name in SECURITY_SCHEMES]
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def _declare_brands(schema: dict[str, Any], accepted: list[str]) -> None:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "brand" and parameter["in"] == "query":
                    parameter["schema"] = {"type": "string", "enum": accepted}


def _declare_topics(schema: dict[str, Any], accepted: list[str]) -> None:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "topic" and parameter["in"] == "query":
                    parameter["schema"] = {"type": "array", "items": {"type": "string", "enum": accepted}}
