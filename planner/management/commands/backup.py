from pathlib import Path

from django.core.management.base import BaseCommand

from planner.services.backup import create_backup


class Command(BaseCommand):
    help = "Write a consistent backup of the database and the stored plan PDFs (.tar.gz)."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="the backup file to write")

    def handle(self, *args, output, **options):
        manifest = create_backup(Path(output))
        self.stdout.write(
            f"Backup written to {output}: database ({manifest['database_vendor']}, sha256 "
            f"{manifest['data_sha256'][:12]}…) and {len(manifest['files'])} plan PDFs."
        )
