"""Writes to the estate, one function each: the portal, the API and the admin call these.

Each action saves in one transaction and re-sizes every app the write touched (coalesced: ten
quick edits of an app make one run, ``runs.request_app_resize``). Validation that every entrance
shares lives in the models' ``clean()`` ("RTO within MTPD": ``Application.clean``; "the
subscription is in the app's source cloud": ``VirtualMachine.clean``); who may change what in
``planner.access``.

The callers validate (a form, a serializer, the admin's form) and hand the save over as
``save``: a form's ``save`` also writes its many-to-many fields and inlines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction

from planner import access
from planner.models import Application, Drill, SizingRun, VirtualMachine
from planner.services import inventory
from planner.services.runs import request_app_resize


def resize_apps(apps: Iterable[Application | int | None], user=None) -> list[int]:
    """Re-size each app once (objects or ids; None is skipped); the ids, in order."""
    ids = sorted({a if isinstance(a, int) else a.pk for a in apps if a is not None})
    for app in Application.objects.filter(pk__in=ids):
        request_app_resize(app, user)
    return ids


def _saved(obj, save: Callable | None):
    if save is None:
        obj.save()
        return obj
    return save()


def save_app(
    app: Application, user, save: Callable[[], Application] | None = None, *, resize: bool = True
) -> Application:
    """Save a new or changed app and re-size it (a new app has no VMs yet: ``resize=False``)."""
    with transaction.atomic():
        app = _saved(app, save)
        if resize:
            request_app_resize(app, user)
    return app


def save_in_app(obj: VirtualMachine | Drill, user, save: Callable | None = None):
    """Save a new or changed VM (with its disks) or drill, and re-size every app it touched: its
    app, and the app it was in before when the save moved it (read from the database, so call
    this before anything has saved ``obj``)."""
    before = None
    if obj.pk:
        model = type(obj)
        before = model.objects.filter(pk=obj.pk).values_list("application_id", flat=True).first()
    with transaction.atomic():
        obj = _saved(obj, save)
        resize_apps([before, obj.application_id], user)
    return obj


save_vm = save_drill = save_in_app


def delete_in_app(obj: VirtualMachine | Drill, user) -> None:
    """Delete a VM or a drill and re-size its app."""
    with transaction.atomic():
        app_id = obj.application_id
        obj.delete()
        resize_apps([app_id], user)


def import_inventory(parsed, *, user, **args) -> tuple[inventory.ImportOutcome, SizingRun | None]:
    """Import an inventory into an app (``inventory.import_inventory``, all or nothing) and
    re-size the app when VMs were created or updated; the run, or None."""
    with transaction.atomic():
        outcome = inventory.import_inventory(parsed, user=user, **args)
        run = None
        if outcome.created or outcome.updated:
            run = request_app_resize(args["application"], user)
    return outcome, run


class OptInRefused(Exception):
    """Some of the VMs do not exist or are not the user's to change: nothing was changed."""

    def __init__(self, missing: list[int]):
        self.missing = missing
        shown = ", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "")
        super().__init__(
            f"{len(missing)} of these VMs do not exist or are not yours to change ({shown}): "
            "nothing was changed; send only VMs of your apps."
        )


@dataclass(frozen=True)
class OptInOutcome:
    changed: int
    unchanged: int
    applications: list[int]  # the apps re-sized


def set_opted_in(user, vm_ids: Iterable[int], opted_in: bool) -> OptInOutcome:
    """Opt many VMs in (or out) at once: all of them, or none when one is not the user's to
    change (``OptInRefused``: the same answer in the portal and the API). The apps whose VMs
    changed are re-sized."""
    ids = sorted(set(vm_ids))
    with transaction.atomic():
        vms = VirtualMachine.objects.filter(
            pk__in=ids, application__in=access.changeable_apps(user)
        )
        found = set(vms.values_list("pk", flat=True))
        missing = [i for i in ids if i not in found]
        if missing:
            raise OptInRefused(missing)
        to_change = vms.exclude(opted_in=opted_in)
        app_ids = sorted(set(to_change.values_list("application_id", flat=True)))
        changed = to_change.update(opted_in=opted_in)
        resize_apps(app_ids, user)
    return OptInOutcome(changed=changed, unchanged=len(ids) - changed, applications=app_ids)
