from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlannerConfig(AppConfig):
    name = "planner"
    verbose_name = "Recovery planning"

    def ready(self) -> None:
        from planner.roles import ensure_groups

        post_migrate.connect(ensure_groups, sender=self)
