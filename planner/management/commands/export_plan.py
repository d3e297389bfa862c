"""manage.py export_plan <app id> [--revision N] --output FILE.pdf — for scripts and batch exports.

Writes the PDF of the app's latest revision (or revision N). An app without any revision gets a
draft taken on behalf of its owner first. A submitted or decided revision's stored PDF is
written byte for byte (rendered and stored first if it is not yet); a draft is rendered on the
fly. An app of more than 300 VMs also gets its VM annex as FILE-vms.csv beside the PDF.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from planner.models import Application
from planner.models.plans import PlanError, PlanState
from planner.reports.canonical import sha256_hex
from planner.reports.render import annex_name, render_revision
from planner.services import plans


class Command(BaseCommand):
    help = (
        "Write the PDF of an app's latest (or given) plan revision; creates a draft revision "
        "when the app has none."
    )

    def add_arguments(self, parser):
        parser.add_argument("app", type=int, help="application id")
        parser.add_argument("--revision", type=int, help="revision number (default: the latest)")
        parser.add_argument("--output", required=True, help="the PDF file to write")
        parser.add_argument(
            "--paper",
            choices=["A4", "letter"],
            default=None,
            help="page size of a draft (a stored PDF keeps the size it was signed in)",
        )

    def handle(self, *args, app, revision=None, output, paper=None, **options):
        application = Application.objects.select_related("owner").filter(pk=app).first()
        if application is None:
            raise CommandError(f"No application with id {app}: list them in the admin.")
        out = Path(output)
        if out.suffix.lower() != ".pdf":
            raise CommandError(f"--output must name a .pdf file, got {output!r}.")
        if not out.parent.is_dir():
            raise CommandError(f"The directory {out.parent} does not exist: create it first.")
        revisions = application.plans.order_by("-number")
        if revision is not None:
            rev = revisions.filter(number=revision).first()
            if rev is None:
                numbers = ", ".join(f"r{n}" for n in revisions.values_list("number", flat=True))
                raise CommandError(
                    f"'{application.name}' has no revision {revision} "
                    f"(it has: {numbers or 'none'})."
                )
        else:
            rev = revisions.first()
            if rev is None:
                try:
                    rev = plans.create_revision(
                        application, application.owner, "taken by manage.py export_plan"
                    )
                except PlanError as exc:
                    raise CommandError(str(exc)) from None
                self.stdout.write(f"'{application.name}' had no plan: draft r{rev.number} taken.")
        try:
            if rev.state == PlanState.DRAFT:
                rendered = render_revision(rev, paper=paper)
                pdf, annex = rendered.pdf, rendered.annex_csv
            else:
                pdf, _ = plans.revision_pdf(rev)
                rev.refresh_from_db()
                stored = plans.revision_annex(rev)
                annex = stored[0] if stored else None
        except PlanError as exc:
            raise CommandError(str(exc)) from None
        out.write_bytes(pdf)
        self.stdout.write(
            f"Wrote {out} — '{application.name}' r{rev.number} ({rev.state}), "
            f"{len(pdf):,} bytes, PDF sha256 {sha256_hex(pdf)}, revision sha256 {rev.sha256}"
        )
        if annex is not None:
            csv_path = out.with_name(annex_name(out.name))
            csv_path.write_bytes(annex)
            self.stdout.write(f"Wrote {csv_path} — the VM annex, sha256 {sha256_hex(annex)}")
