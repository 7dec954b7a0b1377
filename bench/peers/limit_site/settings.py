"""No middleware, no auth, no templates: what Django costs with nothing on top."""

from __future__ import annotations

import os

from dbconf import database

SECRET_KEY = os.environ.get("BENCH_SECRET_KEY", "bench-limit-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = ["limit_site"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "limit_site.urls"
WSGI_APPLICATION = "limit_site.wsgi.application"
DATABASES = {"default": database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
