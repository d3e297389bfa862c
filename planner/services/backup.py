"""Backups of the planner's own data, so the planner follows the advice it gives.

A backup is one .tar.gz: ``data.json`` (every row, dumped in one read transaction, so the dump
is consistent while the portal runs), the stored plan PDFs under ``media/``, and a
``manifest.json`` with the SHA-256 of each member and of each plan PDF as recorded in the
database. Restore checks every hash before it touches the database, then loads everything in
one transaction: it succeeds whole or leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

FORMAT = 1
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


class BackupError(Exception):
    """A backup file that cannot be restored; the message says why and what to do."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dump() -> bytes:
    out = io.StringIO()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        call_command(
            "dumpdata",
            natural_foreign=True,
            natural_primary=True,
            exclude=EXCLUDED,
            stdout=out,
            verbosity=0,
        )
    return out.getvalue().encode()


def create_backup(output: Path) -> dict:
    """Write a backup to ``output``; returns the manifest."""
    from planner.models import PlanRevision

    data = _dump()
    media_root = Path(settings.MEDIA_ROOT)
    files = []
    for name, recorded in PlanRevision.objects.exclude(pdf="").values_list("pdf", "pdf_sha256"):
        path = media_root / name
        if path.exists():
            files.append((name, path.read_bytes(), recorded))
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database_vendor": connection.vendor,
        "data_sha256": _sha(data),
        "files": [
            {"path": name, "sha256": _sha(content), "recorded_sha256": recorded}
            for name, content, recorded in files
        ],
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(output, "w:gz") as tar:
        for name, content in [
            ("manifest.json", json.dumps(manifest, indent=2).encode()),
            ("data.json", data),
            *((f"media/{n}", c) for n, c, _ in files),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(content))
    return manifest


def read_backup(path: Path) -> tuple[dict, bytes, dict[str, bytes]]:
    """Open and verify a backup: every hash must match, or BackupError says which."""
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 (closed by the with-block below)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a Recovery Planner backup (.tar.gz): {exc}") from exc
    with tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        for name in members:
            if name.startswith("/") or ".." in Path(name).parts:
                raise BackupError(f"{path}: unsafe member name {name!r}; refusing to restore")

        def read(name: str) -> bytes:
            if name not in members:
                raise BackupError(f"{path} has no {name}: it is incomplete, take a new backup")
            return tar.extractfile(members[name]).read()

        manifest = json.loads(read("manifest.json"))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path}: backup format {manifest.get('format')} is not {FORMAT}")
        data = read("data.json")
        if _sha(data) != manifest["data_sha256"]:
            raise BackupError(f"{path}: data.json does not match its SHA-256; the file is damaged")
        files = {}
        for entry in manifest["files"]:
            content = read(f"media/{entry['path']}")
            digest = _sha(content)
            if digest != entry["sha256"]:
                raise BackupError(f"{path}: {entry['path']} does not match its SHA-256")
            if entry.get("recorded_sha256") and digest != entry["recorded_sha256"]:
                raise BackupError(
                    f"{path}: {entry['path']} is not the PDF the plan recorded "
                    f"(sha256 {digest[:12]}…, recorded {entry['recorded_sha256'][:12]}…)"
                )
            files[entry["path"]] = content
    return manifest, data, files


def restore_backup(path: Path, *, force: bool = False) -> dict:
    """Restore a verified backup into this (migrated) database, all or nothing."""
    from planner.models import Application

    manifest, data, files = read_backup(path)
    call_command("migrate", verbosity=0, interactive=False)
    if Application.objects.exists() and not force:
        raise BackupError(
            "This database already holds applications; restore into an empty database, "
            "or pass --force to replace everything in it."
        )
    with transaction.atomic(), tempfile.NamedTemporaryFile(suffix=".json") as fh:
        fh.write(data)
        fh.flush()
        # flush re-creates content types, permissions and the role groups (post_migrate);
        # loaddata matches them by natural key and resets PostgreSQL's sequences.
        call_command("flush", interactive=False, verbosity=0)
        call_command("loaddata", fh.name, verbosity=0)
    media_root = Path(settings.MEDIA_ROOT)
    for name, content in files.items():
        target = media_root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return manifest
