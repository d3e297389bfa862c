import sys

from django.core.management.base import BaseCommand, CommandError

from planner.models import Application, Trigger
from planner.services import runs


class Command(BaseCommand):
    help = (
        "Size the whole estate (or one app) and print the run's summary. Runs through the Celery "
        "workers unless --sync is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--app", type=int, help="size only this application (id)")
        parser.add_argument("--sync", action="store_true", help="run in this process")
        parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait")

    def handle(self, *args, app=None, sync=False, timeout=3600, **options):
        application = None
        if app is not None:
            application = Application.objects.filter(pk=app).first()
            if application is None:
                raise CommandError(f"No application with id {app}: list them in the admin.")
        run = runs.request_run(application=application, trigger=Trigger.CLI, dispatch=not sync)
        self.stdout.write(f"Run {run.pk} requested ({'in this process' if sync else 'workers'}).")
        if sync:
            run = runs.run_sync(run, progress=self._progress)
        else:
            run = runs.wait_for(run, timeout=timeout, progress=self._progress, poll=0.5)
        if self.stdout.isatty():
            sys.stdout.write("\n")
        if not run.finished:
            raise CommandError(
                f"Run {run.pk} is still {run.status} after {timeout:.0f} s: is a worker running "
                "(make run) and Redis reachable (/healthz)? It stays recorded and will be "
                "dispatched by the beat sweep."
            )
        summary = run.summary
        self.stdout.write(
            f"Run {run.pk}: {run.get_status_display()} — {summary.get('vms', 0):,} VMs sized in "
            f"{summary.get('apps', 0):,} apps, {summary.get('failures', 0)} failures\n"
            f"  backup storage {summary.get('backup_gib', 0):,.0f} GiB, replica storage "
            f"{summary.get('replica_gib', 0):,.0f} GiB, bandwidth "
            f"{summary.get('bandwidth_mbps', 0):,.1f} Mbit/s, cost "
            f"{summary.get('monthly_cost', 0):,.2f} USD/month\n"
            f"  findings: {summary.get('blocking', 0)} blocking, {summary.get('warning', 0)} warnings"
        )
        for error in run.errors.all()[:20]:
            where = error.application or f"chunk {error.chunk_index}"
            self.stdout.write(f"  failed: {where}: {error.message}")

    def _progress(self, run):
        line = f"\r  {run.status:<9} {run.done_vms:>7,}/{run.total_vms:,} VMs {run.percent:>3} %"
        if self.stdout.isatty():
            sys.stdout.write(line)
            sys.stdout.flush()
