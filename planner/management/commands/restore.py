from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from planner.services.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup written by `manage.py backup`, after checking every hash."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file (.tar.gz)")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds apps"
        )

    def handle(self, *args, file, force=False, **options):
        try:
            manifest = restore_backup(Path(file), force=force)
        except BackupError as exc:
            raise CommandError(f"{exc} Nothing was changed.") from exc
        self.stdout.write(
            f"Restored {file} (taken {manifest['created_at']}): database and "
            f"{len(manifest['files'])} plan PDFs, every hash checked."
        )
