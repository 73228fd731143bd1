#!/bin/sh
# Process entrypoints for the one Handoff image: web | worker | beat | migrate
set -e
case "${1:-web}" in
  web)
    python manage.py migrate --noinput
    export DATABASE_POOL_SIZE="${DATABASE_POOL_SIZE:-20}"  # connections kept per process
    export WEB_THREADS="${WEB_THREADS:-4}"  # requests run at once per process; others queue
    exec uvicorn config.asgi:application --host 0.0.0.0 --port 8000 \
      --workers "${WEB_CONCURRENCY:-2}" --proxy-headers --forwarded-allow-ips='*'
    ;;
  worker)
    export DATABASE_CONN_MAX_AGE="${DATABASE_CONN_MAX_AGE:-60}"
    exec celery -A config worker --loglevel "${CELERY_LOG_LEVEL:-info}" \
      --concurrency "${CELERY_CONCURRENCY:-4}" -Q handoff
    ;;
  beat)
    exec celery -A config beat --loglevel "${CELERY_LOG_LEVEL:-info}" \
      --schedule /app/var/celerybeat-schedule
    ;;
  migrate)
    exec python manage.py migrate --noinput
    ;;
  *)
    exec "$@"
    ;;
esac
