#!/bin/sh
# Process entrypoints for the one Handoff image: web | worker | beat | sensors | migrate
set -e
case "${1:-web}" in
  web)
    python manage.py migrate --noinput
    export DATABASE_POOL_SIZE="${DATABASE_POOL_SIZE:-20}"  # connections kept per process
    # Three processes of two request threads each on two cores: against two of four, the
    # same CPU answered 8% more orders with a p95 25% lower (bench/order_intake.py), as
    # fewer threads per process wait for each other's GIL.
    export WEB_THREADS="${WEB_THREADS:-2}"  # requests run at once per process; others queue
    # A process with five or more requests waiting closes the connections it answers, so
    # their clients connect again, to a process less crowded (config/asgi.py): at 16
    # clients, order p95 214-328 ms -> 178-199 ms here, at the same orders per second.
    export WEB_KEEPALIVE_QUEUE="${WEB_KEEPALIVE_QUEUE:-5}"
    # No per-message deflate on sockets: live events are small, and every socket would
    # compress each one again (at a hundred screens, more CPU than the rest of the push).
    exec uvicorn config.asgi:application --host 0.0.0.0 --port 8000 \
      --workers "${WEB_CONCURRENCY:-3}" --proxy-headers --forwarded-allow-ips='*' \
      --ws-per-message-deflate false
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
  sensors)
    # The sensor bridge: MQTT readings (MQTT_URL) in; one process, a persistent session.
    exec python manage.py sensor_bridge
    ;;
  migrate)
    exec python manage.py migrate --noinput
    ;;
  *)
    exec "$@"
    ;;
esac
