"""The OpenAPI schema: drf-spectacular, plus the error answers every operation can give.

drf-spectacular documents the success answer only; clients (and schemathesis) also need the
400/401/403/404/409/429 answers and their one shape (portal.api.errors), so each operation
lists them with a reference to the ``Error`` component that ``add_error_component`` adds.
"""

from __future__ import annotations

from drf_spectacular import openapi
from rest_framework.permissions import AllowAny

ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Every error: `detail` says what is wrong and what to do, `code` is for scripts, "
        "`fields` (validation errors only) names each field and its reasons."
    ),
    "properties": {
        "detail": {"type": "string", "example": "name: This field is required."},
        "code": {"type": "string", "example": "invalid"},
        "fields": {
            "type": "object",
            "additionalProperties": {},
            "example": {"name": ["This field is required."]},
        },
    },
    "required": ["detail", "code"],
}

DESCRIPTIONS = {
    "400": "Invalid input: `detail` and `fields` name each field and the reason",
    "401": "Not signed in: send `Authorization: Token <key>` (POST /api/v1/auth/token/)",
    "403": "Signed in, but your role may not do this",
    "404": "Not found, or not yours to see",
    "409": "In use or in a state that forbids it",
    "415": "Unsupported media type: send JSON (or multipart for file uploads)",
    "429": "Too many requests: wait the seconds in `Retry-After`",
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(
                code,
                {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": ERROR_REF}},
                },
            )
        return responses

    def _error_codes(self) -> list[str]:
        public = all(isinstance(p, AllowAny) for p in self.view.get_permissions())
        codes = ["400", "404", "429"] if public else ["400", "401", "403", "404", "429"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["409", "415"]
        return codes


def add_error_component(result, generator, request, public):
    """Postprocessing hook: the ``Error`` schema the operations refer to."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    return result
