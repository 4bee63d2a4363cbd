"""Backstep project package: settings, URLs, Celery app and clinic tenancy."""

from .celery import app as celery_app

__all__ = ["celery_app"]
