import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from planner.demo import seed


class Command(BaseCommand):
    help = "Build a realistic, deterministic demo estate (idempotent) and the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--apps", type=int, default=40, help="applications (default 40)")
        parser.add_argument("--vms", type=int, default=400, help="VMs in all (default 400)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, apps, vms, seed: int, **options):
        if apps < 1 or vms < apps:
            raise CommandError(
                "Use --apps 1 or more and at least one VM per app (--vms >= --apps)."
            )
        started = time.perf_counter()
        result = seed_estate(apps, vms, seed)
        took = time.perf_counter() - started
        self.stdout.write(
            f"Demo estate: {result.apps_created} apps and {result.vms_created} VMs created "
            f"in {took:.1f} s (apps that already existed were left as they were)."
        )
        self.stdout.write(
            "Demo accounts (password from DEMO_PASSWORD, default 'recovery-demo'): "
            + ", ".join(result.accounts)
        )


def seed_estate(apps, vms, seed_value):
    return seed(apps=apps, vms=vms, seed=seed_value, password=settings.DEMO_PASSWORD)
