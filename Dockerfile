# HealthLink application image: the web server, the Celery worker and Celery beat all run
# from it (docker-compose.yml picks the command). Configuration comes from the environment.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 healthlink

# Dependencies first, so that a code change does not reinstall them. All pins are wheels
# (psycopg-binary brings its own libpq), so no compiler is needed.
COPY requirements.txt ./
RUN pip install --requirement requirements.txt

COPY . .
# Static files are collected at build time and served by WhiteNoise. collectstatic reads the
# settings but touches no service: DEBUG=1 needs no keys, and the URLs are never dialled.
RUN DEBUG=1 DATABASE_URL=postgres://build@127.0.0.1:1/none REDIS_URL=redis://127.0.0.1:1/0 \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p var/media \
    && chown -R healthlink:healthlink var

USER healthlink
EXPOSE 8000
CMD ["gunicorn", "healthlink.wsgi:application", "--logger-class", "healthlink.gunicorn_logging.RedactingLogger", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
