import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from planner.demo import showcase_plans
from planner.models import Application, RunStatus, SizingRun, Trigger
from planner.services import runs


class Command(BaseCommand):
    help = (
        "The demo at work (make run's first start): size the estate through the Celery workers, "
        "printing progress, then leave a plan in every state (draft, submitted, approved, stale, "
        "rejected) through the real workflow. Apps already sized and existing plans are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, default=600, help="seconds to wait for the workers"
        )
        parser.add_argument(
            "--pending-file",
            type=Path,
            help="removed once the demo is ready (make run's marker of an unfinished first start)",
        )

    def handle(self, *args, timeout=600, pending_file=None, **options):
        started = time.monotonic()
        unsized = Application.objects.filter(result__isnull=True).count()
        if unsized:
            self._size(unsized, timeout)
        else:
            self.stdout.write("demo: every app is sized already")
        made = showcase_plans()
        for state, app in made.items():
            self.stdout.write(f"demo: {state} plan: {app}")
        if not made:
            self.stdout.write("demo: plans exist already (or too few sized apps): none added")
        if pending_file is not None:
            pending_file.unlink(missing_ok=True)
        self.stdout.write(
            f"demo: ready in {time.monotonic() - started:.0f} s: sign in as owner or approver "
            "(password recovery-demo unless DEMO_PASSWORD was set)"
        )

    def _size(self, unsized: int, timeout: float) -> None:
        run = (
            SizingRun.objects.filter(
                application=None, status__in=[RunStatus.PENDING, RunStatus.RUNNING]
            )
            .order_by("-id")
            .first()
        )
        if run is None:
            run = runs.request_run(trigger=Trigger.CLI)
        self.stdout.write(
            f"demo: {unsized} apps not sized yet: sizing run {run.pk} queued for the workers"
        )
        last = {"line": "", "at": 0.0}

        def progress(run):
            line = f"demo: run {run.pk} {run.status}: {run.done_vms:,}/{run.total_vms:,} VMs"
            now = time.monotonic()
            if line != last["line"] and now - last["at"] >= 2:
                self.stdout.write(f"{line} ({run.percent} %)")
                last.update(line=line, at=now)

        run = runs.wait_for(run, timeout=timeout, progress=progress, poll=0.5)
        if not run.finished:
            raise CommandError(
                f"demo: run {run.pk} is still {run.status} after {timeout:.0f} s: is the worker "
                "running and Redis reachable (/healthz)? The run stays recorded; start again "
                "and the demo picks up where it stopped."
            )
        summary = run.summary
        self.stdout.write(
            f"demo: run {run.pk} {run.get_status_display().lower()}: "
            f"{summary.get('vms', 0):,} VMs in {summary.get('apps', 0):,} apps; "
            f"{summary.get('blocking', 0)} blocking findings, {summary.get('warning', 0)} "
            f"warnings; cost {summary.get('monthly_cost', 0):,.2f} USD/month"
        )
