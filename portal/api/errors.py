"""Every error as JSON a person can act on, and never a 500 for bad input.

The body is always ``{"detail": "<what is wrong and what to do>", "code": "<machine code>"}``,
plus ``"fields": {"<field>": ["<reason>", ...]}`` on a validation error (nested fields keep
DRF's shape: ``{"disks": [{}, {"used_gib": ["..."]}]}``), so a script can branch on ``code`` and
a person can read ``detail``.

Serializers validate with the model's own ``clean()`` and constraints (portal.api.base), so the
database rarely refuses anything; when it does (a race between two requests, a constraint added
later) ``exception_handler`` turns the IntegrityError into a 400 naming the constraint's field
and message, instead of the 500 RELIABILITY.md measured.
"""

from __future__ import annotations

import logging
import re

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError, UniqueConstraint
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework import views as drf_views
from rest_framework.settings import api_settings

from planner.models.plans import PlanError, RevisionLocked
from planner.services.inventory import InventoryError

log = logging.getLogger(__name__)

MAX_MESSAGES_IN_DETAIL = 5


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class DomainError(exceptions.ValidationError):
    """A service refused the action (PlanError, InventoryError): a 400 with its message as is."""

    default_code = "refused"

    def __init__(self, message: str):
        super().__init__([message], code="refused")


def exception_handler(exc, context):
    """DRF's handler, after translating Django and domain errors, with the one error shape."""
    exc = translate(exc)
    response = drf_views.exception_handler(exc, context)
    if response is None:
        return None  # a genuine server error: Django logs it and answers 500
    response.data = error_body(response.data, exc)
    return response


def translate(exc: Exception) -> Exception:
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, ProtectedError | RestrictedError):  # before IntegrityError: subclasses
        return Conflict(in_use_message(exc))
    if isinstance(exc, IntegrityError):
        log.warning("IntegrityError answered as a 400: %s", exc)
        return exceptions.ValidationError(integrity_errors(exc), code="constraint")
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(django_errors(exc))
    if isinstance(exc, RevisionLocked):  # a signed plan (or its app) cannot change
        return Conflict(str(exc))
    if isinstance(exc, PlanError | InventoryError):
        return DomainError(str(exc))
    if isinstance(exc, DataError | OverflowError):  # a number out of the database's range
        log.warning("%s answered as a 400: %s", exc.__class__.__name__, exc)
        return exceptions.ValidationError(
            "A value is out of the range the database stores (a number too large?): check the "
            "values against the schema."
        )
    return exc


def django_errors(exc: DjangoValidationError) -> dict | list:
    """A Django ValidationError in DRF's shape, "__all__" renamed to DRF's non-field key."""
    detail = serializers.as_serializer_error(exc)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return detail


def error_body(data, exc) -> dict:
    code = _code(exc)
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(data, dict):
            return {"detail": summarize(data), "code": code, "fields": data}
        return {"detail": summarize(data), "code": code}
    if isinstance(data, dict) and "detail" in data:
        return {"detail": str(data["detail"]), "code": code}
    return {"detail": summarize(data), "code": code}


def _code(exc) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return exc.default_code if isinstance(exc, DomainError) else "invalid"
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        return codes if isinstance(codes, str) else exc.default_code
    return "error"


def summarize(data) -> str:
    """One readable line: "name: This field is required.; disks[1].used_gib: ..."."""
    messages = [f"{field}: {text}" if field else text for field, text in flatten(data)]
    if not messages:
        return "The request is invalid."
    extra = len(messages) - MAX_MESSAGES_IN_DETAIL
    line = "; ".join(messages[:MAX_MESSAGES_IN_DETAIL])
    return f"{line} (and {extra} more: see 'fields')" if extra > 0 else line


def flatten(data, prefix: str = ""):
    if isinstance(data, dict):
        for key, value in data.items():
            name = "" if key in (api_settings.NON_FIELD_ERRORS_KEY, "detail") else str(key)
            yield from flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
    elif isinstance(data, list):
        if all(not isinstance(x, dict | list) for x in data):
            for item in data:
                yield prefix, str(item)
        else:
            for index, item in enumerate(data):
                if item:
                    yield from flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix, str(data)


# --- database errors ----------------------------------------------------------------------------

_UNIQUE_COLUMNS = (
    re.compile(r"UNIQUE constraint failed: ((?:\w+\.\w+(?:, )?)+)"),  # SQLite
    re.compile(r"Key \(([\w, ]+)\)=\("),  # PostgreSQL's DETAIL line
)
_NOT_NULL = (
    re.compile(r"NOT NULL constraint failed: \w+\.(\w+)"),  # SQLite
    re.compile(r'null value in column "(\w+)"'),  # PostgreSQL
)


def integrity_errors(exc: IntegrityError) -> dict:
    """The field and message of the constraint the database named, or a generic reason."""
    text = str(exc)
    models = apps.get_app_config("planner").get_models()
    for model in models:
        for constraint in model._meta.constraints:
            if re.search(rf"\b{re.escape(constraint.name)}\b", text):
                return _constraint_error(model, constraint)
    for pattern in _UNIQUE_COLUMNS:
        match = pattern.search(text)
        if match:
            return _unique_error(match.group(1))
    for pattern in _NOT_NULL:
        match = pattern.search(text)
        if match:
            field = _field_of_column(match.group(1))
            return {field: ["This field is required: give it a value."]}
    return {
        api_settings.NON_FIELD_ERRORS_KEY: [
            "The database refused the change (a duplicate, or a value out of range): check "
            "the values against the schema and try again."
        ]
    }


def _constraint_error(model, constraint) -> dict:
    field = constraint_field(constraint) or api_settings.NON_FIELD_ERRORS_KEY
    message = str(constraint.get_violation_error_message())
    if isinstance(constraint, UniqueConstraint) and constraint.fields:
        message = (
            f"{model._meta.verbose_name.capitalize()} with this "
            f"{', '.join(constraint.fields)} already exists."
        )
    return {field: [message]}


def _unique_error(columns_text: str) -> dict:
    """SQLite names the columns, not the constraint ("planner_disk.vm_id, planner_disk.name"):
    find the model's constraint (or unique field) on exactly those columns."""
    pairs = [c.strip().rsplit(".", 1) for c in columns_text.split(",") if c.strip()]
    tables = {p[0] for p in pairs if len(p) == 2}
    columns = {p[-1] for p in pairs}
    for model in apps.get_app_config("planner").get_models():
        if tables and model._meta.db_table not in tables:
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.fields:
                own = {model._meta.get_field(f).column for f in constraint.fields}
                if own == columns:
                    return _constraint_error(model, constraint)
        for field in model._meta.concrete_fields:
            if field.unique and {field.column} == columns:
                return {
                    field.name: [f"This {field.verbose_name} is already taken: choose another."]
                }
    field = _field_of_column(sorted(columns)[-1] if columns else "")
    return {field: [f"This {field.replace('_', ' ')} is already taken: choose another."]}


def _field_of_column(column: str) -> str:
    """``vm_id`` -> ``vm``: the name the API uses for a foreign key's column."""
    for model in apps.get_app_config("planner").get_models():
        for field in model._meta.concrete_fields:
            if field.column == column:
                return field.name
    return column or api_settings.NON_FIELD_ERRORS_KEY


def constraint_field(constraint) -> str | None:
    """The field a person would correct: a unique constraint's last field (the name, after the
    scope), or the first field a check constraint's condition reads."""
    if isinstance(constraint, UniqueConstraint):
        if constraint.fields:
            return constraint.fields[-1]
        for expression in reversed(constraint.expressions):
            names = _expression_fields(expression)
            if names:
                return names[0]
        return None
    condition = getattr(constraint, "condition", None)
    return _first_lookup_field(condition) if condition is not None else None


def _expression_fields(expression) -> list[str]:
    name = getattr(expression, "name", None)
    if isinstance(name, str):
        return [name]
    found: list[str] = []
    for source in getattr(expression, "get_source_expressions", list)():
        found.extend(_expression_fields(source))
    return found


def _first_lookup_field(q) -> str | None:
    for child in getattr(q, "children", ()):
        if isinstance(child, tuple):
            return child[0].split("__")[0]
        found = _first_lookup_field(child)
        if found:
            return found
    return None


def in_use_message(exc: ProtectedError | RestrictedError) -> str:
    blockers = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
    blockers = list(blockers)
    kinds = sorted({str(o._meta.verbose_name_plural) for o in blockers})
    examples = ", ".join(f"'{o}'" for o in blockers[:3])
    return (
        f"It is still used by {len(blockers)} {' and '.join(kinds) or 'records'} "
        f"(e.g. {examples}): change or delete those first."
    )
