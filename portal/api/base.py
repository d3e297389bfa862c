"""What every serializer and viewset of the API shares.

- ``ModelCleanSerializer`` validates as a ModelForm does: the model's ``clean()``, its unique
  fields and every ``Meta.constraints`` entry, each error under the field to correct. A DRF
  ModelSerializer checks none of these; the database's answer would be a 500 (RELIABILITY.md).
- ``ApiViewSet`` makes each write request one transaction, kept only when it succeeds, accepts
  only digits as ids (a non-number or an id too large for the database is a JSON 404), and
  names the app whose owner may change an object (``application_of``).
- ``ResizesItsApp`` re-sizes the app of a VM or a drill after every write.
"""

from __future__ import annotations

import copy
import re

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import router, transaction
from django.db.models import IntegerField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.settings import api_settings

from planner.bounds import Range
from planner.services import actions
from portal import access
from portal.api.errors import constraint_field, django_errors
from portal.api.filters import OrderingFilter

ID_PATTERN = r"[0-9]{1,18}"  # fits a 64-bit primary key on every database


class ModelCleanSerializer(serializers.ModelSerializer):
    """A ModelSerializer that validates like the admin and the portal's forms do."""

    # Model fields this serializer does not set (the view does, or a parent serializer).
    clean_exclude: tuple[str, ...] = ()

    def get_validators(self):
        # Unique-together checks run with the model's constraints in validate(), under a field.
        return []

    def build_standard_field(self, field_name, model_field):
        """A number with a range (planner.bounds) says the range when it is not a number at all
        (text, NaN, Infinity, 1e999), as it does when it is outside."""
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        ranges = [v for v in getattr(model_field, "validators", ()) if isinstance(v, Range)]
        if ranges:
            whole = isinstance(model_field, IntegerField)
            kwargs["error_messages"] = {
                **kwargs.get("error_messages", {}),
                "invalid": f"Give a {'whole' if whole else 'finite'} number from {ranges[0].text}.",
            }
        return field_class, kwargs

    def before_clean(self, instance, attrs) -> tuple[str, ...]:
        """Set fields the request implies (who decided, when); returns their names."""
        return ()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = copy.copy(self.instance) if self.instance is not None else model()
        concrete = {f.name for f in model._meta.concrete_fields}
        written = [name for name in attrs if name in concrete]
        for name in written:
            setattr(instance, name, attrs[name])
        written.extend(self.before_clean(instance, attrs))
        model_clean(instance, exclude=self.clean_exclude)
        for name in written:  # clean() may normalise a value (country codes, ...)
            attrs[name] = getattr(instance, name)
        return attrs


def model_clean(instance, exclude=()) -> None:
    """``full_clean()``, with each constraint's error under the field it reads."""
    errors: dict[str, list] = {}
    try:
        instance.full_clean(exclude=list(exclude), validate_constraints=False)
    except DjangoValidationError as exc:
        errors = django_errors(exc)
    skip = set(exclude) | set(errors)
    using = router.db_for_write(type(instance))
    for constraint in type(instance)._meta.constraints:
        try:
            constraint.validate(type(instance), instance, exclude=skip, using=using)
        except DjangoValidationError as exc:
            field = constraint_field(constraint) or api_settings.NON_FIELD_ERRORS_KEY
            errors.setdefault(field, []).extend(exc.messages)
    if errors:
        raise serializers.ValidationError(errors)


class ApiViewSet(viewsets.GenericViewSet):
    """Base of every viewset: ids are digits; a write is one transaction, kept only on success."""

    # Any path segment reaches the view, so a malformed id is this API's JSON 404, not the
    # site's HTML one; get_object() then accepts digits only.
    lookup_value_regex = r"[^/]+"
    # False for views whose services own their transaction (durable atomic blocks).
    atomic_writes = True
    filter_backends = [DjangoFilterBackend, OrderingFilter]

    def application_of(self, obj):
        """The app whose owner may change ``obj`` (None: nobody's, operators only)."""
        return None

    def get_object(self):
        lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")
        if not re.fullmatch(ID_PATTERN, str(lookup)):
            raise NotFound(f"'{lookup}' is not an id: ids are whole numbers.")
        return super().get_object()

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS or not self.atomic_writes:
            return super().dispatch(request, *args, **kwargs)
        # A savepoint inside a test's transaction: a statement the database refuses rolls back
        # cleanly (PostgreSQL would refuse every later one), and an error answer undoes any
        # partial write. Sizing runs requested here are dispatched after the commit.
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
            return response


class IdentityUrlField(serializers.HyperlinkedIdentityField):
    """An object's URL, reversed once per list instead of once per row.

    DRF's field resolves the URL pattern for every row (a fifth of the VM list's time, per
    bench/api_lists.py); this one reverses with a marker id once, then puts each row's id in
    its place. The same URL either way."""

    MARK = "918273645546372819"  # digits, so it fits any lookup pattern; never a real id here

    def get_url(self, obj, view_name, request, format):
        value = getattr(obj, self.lookup_field, None)
        if value in (None, ""):
            return None
        cache = self.__dict__.setdefault("_templates", {})
        key = (view_name, format, id(request))
        if key not in cache:
            kwargs = {self.lookup_url_kwarg: self.MARK}
            cache.clear()
            cache[key] = self.reverse(view_name, kwargs=kwargs, request=request, format=format)
        head, _, tail = cache[key].rpartition(self.MARK)
        return f"{head}{value}{tail}"


@extend_schema_field(OpenApiTypes.INT)
class ChangeableAppField(serializers.PrimaryKeyRelatedField):
    """An app the requesting user may change: their own, or any for an operator.

    Creating a VM, a drill, a run or a plan in another owner's app is a 400 naming this field,
    with the same words whether the app exists or not."""

    default_error_messages = {
        "does_not_exist": "App {pk_value} does not exist or is not yours to change.",
    }

    def get_queryset(self):
        return access.changeable_apps(self.context["request"].user)


class CreateMixin(mixins.CreateModelMixin):
    """Create, then answer with the object as the list shows it (re-read through the user's
    queryset: computed fields filled in, and a check it is still the user's to see)."""

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        data = self.get_serializer(self.reread(serializer.instance)).data
        return Response(
            data, status=status.HTTP_201_CREATED, headers=self.get_success_headers(data)
        )

    def reread(self, obj):
        try:
            return self.get_queryset().get(pk=obj.pk)
        except ObjectDoesNotExist:
            raise PermissionDenied(
                "The change would move this object out of what you may see: it was not saved."
            ) from None


class UpdateMixin(mixins.UpdateModelMixin):
    """Update (PUT or PATCH), then answer with the object re-read as ``CreateMixin`` does."""

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return Response(self.get_serializer(self.reread(serializer.instance)).data)

    reread = CreateMixin.reread


class ResizesItsApp:
    """For objects that belong to an app (VMs, drills): their app's owner may change them, and
    every create, update or delete re-sizes the app (both apps when an update moves it)."""

    def application_of(self, obj):
        return obj.application

    def perform_create(self, serializer):
        actions.save_in_app(serializer.Meta.model(), self.request.user, serializer.save)

    def perform_update(self, serializer):
        actions.save_in_app(serializer.instance, self.request.user, serializer.save)

    def perform_destroy(self, instance):
        actions.delete_in_app(instance, self.request.user)
