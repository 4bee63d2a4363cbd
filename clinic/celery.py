"""The Celery app. Configuration comes from Django settings (CELERY_*).

Without REDIS_URL the settings make every task run eagerly in-process, so a
laptop needs no broker or worker; with REDIS_URL, workers and beat run as
separate processes (see docker-compose.yml).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("backstep")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
