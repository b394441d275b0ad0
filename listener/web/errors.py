"""One error body for every error the API answers, and the handlers that produce it.

A client generated from /openapi.json decodes errors with the model the schema declares, so the
schema and the handlers share `ErrorOut`: a bad parameter (422), a missing login (401), an unknown
path (404) or a server fault (500) all answer `{"detail": "...", "errors": ["...", ...]}`.
`detail` is the one line to show a person; `errors` lists each problem on its own, for a client
that marks the offending fields.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from listener.storage.filters import QueryError


class ErrorOut(BaseModel):
    """What every API error answers."""

    detail: str
    """Every problem in one line, for a person."""
    errors: list[str]
    """Each problem on its own, naming the parameter it concerns."""


def error_response(status_code: int, problems: list[str], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        ErrorOut(detail="; ".join(problems), errors=problems).model_dump(), status_code=status_code, headers=headers
    )


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No login session and no valid `Authorization: Bearer` token."},
    422: {"model": ErrorOut, "description": "A parameter is malformed, unknown or out of range; `errors` names each."},
}
"""The error answers every API route may give, for its `responses=`."""


def install_error_handlers(app: FastAPI) -> None:
    """Answers QueryError, FastAPI's parameter validation and every HTTPException (401, 403, 404,
    405 ...) with `ErrorOut`, keeping each exception's headers (WWW-Authenticate, Allow)."""

    @app.exception_handler(QueryError)
    async def _bad_query(_request: Request, error: QueryError) -> Response:
        return error_response(422, [str(error)])

    @app.exception_handler(RequestValidationError)
    async def _bad_parameters(_request: Request, error: RequestValidationError) -> Response:
        return error_response(422, [f"{_location(item['loc'])}: {_message(item)}" for item in error.errors()])

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> Response:
        return error_response(error.status_code, [str(error.detail)], headers=error.headers)


def _location(location: tuple[object, ...]) -> str:
    """('query', 'since') -> "query parameter 'since'"."""
    if len(location) >= 2 and location[0] in ("query", "body"):
        kind = "query parameter" if location[0] == "query" else "form field"
        return f"{kind} {'.'.join(str(part) for part in location[1:] if not isinstance(part, int))!r}"
    return ".".join(str(part) for part in location)


def _message(item: dict[str, Any]) -> str:
    """Our own validators' messages as written, without pydantic's "Value error, " prefix."""
    error = item.get("ctx", {}).get("error")
    if item.get("type") == "value_error" and isinstance(error, ValueError):
        return str(error)
    return str(item["msg"])
