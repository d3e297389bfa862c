"""Inventory import: upload -> preview (row by row) -> commit (all or nothing).

The uploaded file is kept under MEDIA_ROOT/imports/ between the preview and the commit, named by
a random token that only the uploader's session knows; the commit parses it again, so what is
written is what the preview showed for the file as it is.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from planner.models import Subscription
from planner.services import actions, inventory
from portal import access
from portal.forms import InventoryUploadForm

SESSION_KEY = "inventory_imports"
KEEP_SECONDS = 6 * 3600


def _dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep() -> None:
    """Drop uploads nobody committed within KEEP_SECONDS."""
    cutoff = time.time() - KEEP_SECONDS
    for f in [*_dir().glob("*.upload"), *_dir().glob("*.disks")]:
        if f.stat().st_mtime < cutoff:
            f.unlink(missing_ok=True)


@login_required
def inventory_upload(request):
    if not access.can_create(request.user):
        raise PermissionDenied("Only app owners and operators import inventories.")
    apps = access.changeable_apps(request.user).select_related("source_cloud")
    initial = {}
    if request.GET.get("app", "").isdigit():
        app = access.app_for_change(request.user, int(request.GET["app"]))
        initial["application"] = app.pk
        sub = Subscription.objects.filter(cloud_id=app.source_cloud_id).first()
        if sub:
            initial["subscription"] = sub.pk
    if request.method == "POST":
        form = InventoryUploadForm(request.POST, request.FILES, apps=apps)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            disks = form.cleaned_data.get("disks")
            disk_data = disks.read() if disks else None
            try:
                sizes = inventory.parse_disk_listing(disk_data, disks.name) if disks else None
            except inventory.InventoryError as exc:
                form.add_error("disks", str(exc))
                sizes = None
            try:
                if not form.errors:
                    inventory.parse_inventory(data, upload.name, sizes)
            except inventory.InventoryError as exc:
                form.add_error("file", str(exc))
            if not form.errors:
                _sweep()
                token = secrets.token_urlsafe(18)
                (_dir() / f"{token}.upload").write_bytes(data)
                if disk_data is not None:
                    (_dir() / f"{token}.disks").write_bytes(disk_data)
                pending = request.session.get(SESSION_KEY, {})
                pending[token] = {
                    "disks": disks.name if disks else "",
                    "filename": upload.name,
                    "app": form.cleaned_data["application"].pk,
                    "subscription": form.cleaned_data["subscription"].pk,
                    "fill_ratio": form.cleaned_data["fill_ratio"],
                    "opt_in": form.cleaned_data["opt_in"],
                }
                request.session[SESSION_KEY] = pending
                return redirect("inventory-preview", token=token)
    else:
        form = InventoryUploadForm(apps=apps, initial=initial)
    return render(
        request,
        "portal/inventory_upload.html",
        {
            "form": form,
            "csv_columns": inventory.CSV_COLUMNS,
            "csv_optional": inventory.CSV_OPTIONAL,
            "csv_example": inventory.CSV_EXAMPLE,
            "max_mib": settings.INVENTORY_MAX_UPLOAD_BYTES / 1_048_576,
        },
    )


@login_required
def inventory_preview(request, token):
    meta = request.session.get(SESSION_KEY, {}).get(token)
    path = _dir() / f"{token}.upload"
    if meta is None or not path.exists():
        raise Http404("This import has expired or was already committed: upload the file again.")
    app = access.app_for_change(request.user, meta["app"])
    subscription = Subscription.objects.select_related("cloud").get(pk=meta["subscription"])
    args = {
        "application": app,
        "subscription": subscription,
        "fill_ratio": meta["fill_ratio"],
        "opt_in": meta["opt_in"],
        "user": request.user,
    }
    disks_path = _dir() / f"{token}.disks"
    try:
        sizes = (
            inventory.parse_disk_listing(disks_path.read_bytes(), meta["disks"])
            if meta.get("disks") and disks_path.exists()
            else None
        )
        parsed = inventory.parse_inventory(path.read_bytes(), meta["filename"], sizes)
        if request.method == "POST":
            outcome, _run = actions.import_inventory(parsed, **args)
            path.unlink(missing_ok=True)
            disks_path.unlink(missing_ok=True)
            pending = request.session.get(SESSION_KEY, {})
            pending.pop(token, None)
            request.session[SESSION_KEY] = pending
            messages.success(
                request,
                f"Imported '{meta['filename']}' into '{app}': {outcome.created} created, "
                f"{outcome.updated} updated, {outcome.unchanged} unchanged, "
                f"{outcome.rejected} rejected.",
            )
            return redirect(app)
        preview = inventory.preview_import(parsed, **args)
    except inventory.InventoryError as exc:
        messages.error(request, str(exc))
        return redirect("inventory-upload")
    return render(
        request,
        "portal/inventory_preview.html",
        {
            "preview": preview,
            "rows": inventory.rows_for_display(preview),
            "counts": preview.counts,
            "meta": meta,
            "app": app,
            "token": token,
        },
    )
