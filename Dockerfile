# Backstep image: one image for web (gunicorn), worker and beat (celery).
# Stage 1 installs the pinned front-end libraries from the npm registry.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts ./scripts
RUN npm run build

FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_ENV=production
WORKDIR /app
# ffmpeg transcodes the clinics' videos in the worker (exercise_media); Debian's package, nothing downloaded.
# gettext: `manage.py makemessages`/`compilemessages` (the image serves the committed .mo files without it).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg gettext \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 backstep \
    && mkdir -p /app/private-media && chown backstep /app/private-media && chmod 700 /app/private-media
COPY --from=assets /app/assets ./assets
# collectstatic needs settings but no secrets or database.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput --verbosity 0
USER backstep
EXPOSE 8000
CMD ["gunicorn", "clinic.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--access-logformat", "%(h)s %(t)s \"%(m)s %(U)s\" %(s)s %(B)s %(L)s"]
