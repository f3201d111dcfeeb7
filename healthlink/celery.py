"""The Celery application: workers and beat read the same Django settings as the web."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthlink.settings")

app = Celery("healthlink")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
