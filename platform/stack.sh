#!/bin/sh
# `make stack`: web (uvicorn, HTTP + WebSocket), a Celery worker and beat on the real stack,
# from DATABASE_URL and REDIS_URL in the environment, and the sensor bridge when MQTT_URL is
# set. Ctrl-C stops them all.
set -e
: "${DATABASE_URL:?set DATABASE_URL (postgres://...)}"
: "${REDIS_URL:?set REDIS_URL (redis://...)}"
BIN=.venv/bin
trap 'kill 0' INT TERM EXIT
# As platform/entrypoint.sh runs it: the worker keeps its database connections between tasks.
DATABASE_CONN_MAX_AGE="${DATABASE_CONN_MAX_AGE:-60}" $BIN/celery -A config worker --loglevel info -Q handoff --concurrency 2 &
$BIN/celery -A config beat --loglevel info --schedule var/celerybeat-schedule &
if [ -n "${MQTT_URL:-}" ]; then $BIN/python manage.py sensor_bridge & fi
DATABASE_POOL_SIZE="${DATABASE_POOL_SIZE:-20}" WEB_THREADS="${WEB_THREADS:-2}" WEB_KEEPALIVE_QUEUE="${WEB_KEEPALIVE_QUEUE:-5}" $BIN/uvicorn config.asgi:application --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" --workers "${WEB_CONCURRENCY:-3}" --ws-per-message-deflate false &
wait
