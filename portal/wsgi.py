"""The web processes' entry point (gunicorn, runserver): Django, and the web's way of
publishing to the broker (``portal.celery.publish_from_web``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

from portal.celery import publish_from_web  # noqa: E402 - once Django is set up

publish_from_web()
