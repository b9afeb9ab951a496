"""WSGI entry point: production servers (gunicorn) import ``application`` from here."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicsite.settings.production")

application = get_wsgi_application()
