"""Handoff settings: every difference between the embedded default and the real stack comes from env.

No env at all gives the embedded default: SQLite in var/, the in-memory channel layer and
Celery tasks run eagerly in-process. DATABASE_URL, REDIS_URL and MQTT_URL switch to the real
stack (PostgreSQL, Redis as broker / result store / channel layer / cache, Mosquitto).
"""

import datetime
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="embedded-only-insecure-key-set-DJANGO_SECRET_KEY-in-production-0123456789",
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_htmx",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "core",
    "inventory",
    "shipping",
    "integrations",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First to see the answer, last to touch it: gzip for clients that accept it.
    "core.compression.CompressedAnswers",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboards.shell.shell",
            ],
        },
    },
]

# --- Database: SQLite in var/ unless DATABASE_URL names another -------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'handoff.sqlite3'}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on the timeout instead of failing on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # 0 for the ASGI web server: each request runs its sync code in a thread of its own, so a
    # persistent connection would outlive its thread and leak. Workers set it (entrypoint).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # core.db.Prepared's statements are written for one plan that suits every call. Left to
    # choose, PostgreSQL planned an order's balance lock afresh on every call (its guess of
    # the item array's length differs between the kept plan and a call's own), and planning
    # it cost several times running it. Django's own queries are not prepared on the server.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan"
    # The web server instead hands each request's connection back to a pool of its process
    # (core.pgpool): no connection is opened per request, none leaks with its thread.
    if env.int("DATABASE_POOL_SIZE", default=0) > 0:
        DATABASES["default"]["ENGINE"] = "core.pgpool"
        DATABASES["default"]["POOL_SIZE"] = env.int("DATABASE_POOL_SIZE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, result store, channel layer and cache when REDIS_URL is set ---------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Redis pub/sub: a group message is one PUBLISH, and each web process fans it out
            # to its own sockets in memory (the list-based layer pushes one copy per socket
            # through Redis, which at 100 sockets costs more than the rest of the path).
            # Pub/sub keeps nothing for a process that is not listening; that is fine here:
            # clients catch up from the event feed by sequence after a reconnect.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, which would abort an
                # idle subscription (channels_redis#422): none here.
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Embedded default: no worker process, tasks run in the caller (after commit, like a worker).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Embedded, a task's state (a KPI job's progress) is kept like a worker's would be.
CELERY_TASK_STORE_EAGER_RESULT = True
# At-least-once, deliberately:
# - acks_late: a task is acknowledged after it ran, so a worker that dies mid-task leaves
#   its message to be delivered again;
# - reject_on_worker_lost: a task whose worker process was killed is re-queued, not dropped;
# - Redis visibility_timeout: an unacknowledged message returns to the queue after this
#   long. It must exceed the longest task (webhook attempts time out after 5 s); an hour
#   keeps slow tasks from running twice. The relay and webhook tasks do not depend on it:
#   their work is rows in PostgreSQL (unpublished events, due deliveries with a lease) that
#   beat sweeps every few seconds, so a lost message delays an event, never loses it.
# Every task here is idempotent (published marks, unique deliveries, leases), so a repeat
# is harmless; receivers de-duplicate by event id.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker keeps its database connections between tasks (DATABASE_CONN_MAX_AGE), as Django
# keeps them between requests (config.celery_app applies Django's rule around each task).
# Celery's Django fixup would close them all before and after every task, whatever
# CONN_MAX_AGE says, unless it reuses them for this many tasks: every relay then opened a
# new PostgreSQL connection, 5-7 ms of its 20.
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_TASK_DEFAULT_QUEUE = "handoff"
CELERY_TIMEZONE = "UTC"
# Alert rules after events: at once embedded (0); on the real stack at most once per this
# many seconds when their inputs changed (see dashboards.tasks.alerts_on_events).
HANDOFF_ALERTS_GAP_S = env.float("HANDOFF_ALERTS_GAP_S", default=2.0 if REDIS_URL else 0.0)
# Embedded, with no beat process, the ASGI server runs the schedule below itself
# (config.beat); on the real stack beat does, and this is off whatever env says.
HANDOFF_CLOCK = not REDIS_URL and env.bool("HANDOFF_CLOCK", default=True)
CELERY_BEAT_SCHEDULE: dict = {
    # Backorders are retried as soon as the relay publishes stock arriving for them
    # (shipping.tasks.backorders_on_events); this sweep catches a lost message.
    "backorders-reallocate": {
        "task": "shipping.orders_backordered_reallocate",
        "schedule": env.float("HANDOFF_BACKORDER_RETRY_S", default=300.0),
    },
    "alerts-evaluate": {
        "task": "dashboards.alerts_evaluate",
        "schedule": env.float("HANDOFF_ALERTS_EVERY_S", default=30.0),
    },
    "alerts-evaluate-if-changed": {
        "task": "dashboards.alerts_evaluate_if_changed",
        "schedule": max(HANDOFF_ALERTS_GAP_S, 1.0),
    },
    "webhooks-due": {
        "task": "integrations.webhooks_deliver_due",
        "schedule": env.float("HANDOFF_WEBHOOK_SWEEP_S", default=5.0),
    },
    # Waves go to the floor by themselves as their time comes, in the warehouses that
    # release them on time (and at once when a slot booked or moved makes one due).
    "waves-release-due": {
        "task": "shipping.waves_release_due",
        "schedule": env.float("HANDOFF_WAVES_RELEASE_SWEEP_S", default=60.0),
    },
    "pod-photos-unclaimed": {
        "task": "shipping.pod_photos_unclaimed_remove",
        "schedule": 3600.0,
    },
    "events-prune": {
        "task": "integrations.events_prune",
        "schedule": 3600.0,
    },
    # 945s and 856s are issued when the relay publishes a departure, 204s when it publishes a
    # change to a load or its dock slot; this sweep catches a lost message, and an order's
    # change that changes a tendered load.
    "edi-out-issue": {
        "task": "integrations.edi_out_issue",
        "schedule": env.float("HANDOFF_EDI_OUT_SWEEP_S", default=60.0),
    },
    # A load declined is passed on when the relay publishes the decline; this sweep passes on
    # the loads whose carriers did not answer in time, and catches a lost message.
    "tenders-pass-on": {
        "task": "integrations.load_tenders_pass_on_due",
        "schedule": env.float("HANDOFF_EDI_OUT_SWEEP_S", default=60.0),
    },
    "events-relay-sweep": {
        "task": "integrations.events_relay",
        "schedule": env.float("HANDOFF_RELAY_SWEEP_S", default=5.0),
    },
}

MQTT_URL = env("MQTT_URL", default="")

# --- People -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

# --- Languages: Chinese and English -----------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it, even before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous call is answered 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's parsers, refusing bodies whose texts hold control characters (400, the field named).
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "core.api.parsers.FormParser",
        "core.api.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.HandoffAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Handoff API",
    "DESCRIPTION": "Stock, orders, shipments and the event feed shared by warehouse and dispatch.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error answers, in the one shape of core.api.errors; times of day.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.errors_documented",
        "core.api.schema.times_of_day_described",
    ],
    # Many things have a `status`; give each status enum its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "shipping.choices.OrderStatus",
        "AppointmentStatusEnum": "shipping.choices.AppointmentStatus",
        "LoadStatusEnum": "shipping.choices.LoadStatus",
        "WaveStatusEnum": "shipping.choices.WaveStatus",
        "UnitStatusEnum": "shipping.choices.UnitStatus",
        "ShipmentStatusEnum": "shipping.choices.ShipmentStatus",
        "StopStatusEnum": "shipping.choices.StopStatus",
        "TrackingStatusEnum": "shipping.choices.TrackingStatus",
        "TaskStatusEnum": "inventory.choices.TaskStatus",
        "ReservationStatusEnum": "inventory.choices.ReservationStatus",
        "ReceiptStatusEnum": "inventory.choices.ReceiptStatus",
        "DepartmentEnum": "dashboards.models.Department",
        "TicketKindEnum": "dashboards.models.TicketKind",
        "TicketNoteKindEnum": "dashboards.models.TicketNoteKind",
        "ExcursionKindEnum": "integrations.models.ExcursionKind",
        "InvoiceStatusEnum": "integrations.models.InvoiceStatus",
    },
}

# --- Domain settings ---------------------------------------------------------------------
# GS1 company prefix used for SSCCs (shipping); the demo uses a prefix of the GS1 China range.
GS1_COMPANY_PREFIX = env("HANDOFF_GS1_COMPANY_PREFIX", default="6901234")
# Handoff's own EDI address (ISA qualifier and ID), as it sends interchanges it starts (856s).
HANDOFF_EDI_QUALIFIER = env("HANDOFF_EDI_QUALIFIER", default="ZZ")
HANDOFF_EDI_ID = env("HANDOFF_EDI_ID", default="HANDOFF")
# How long a carrier has to answer a load tender (X12 204 → 990), unless the truck's dock
# slot starts sooner; past it, an unanswered tender is an alert on the dispatch board.
HANDOFF_TENDER_ANSWER_MINUTES = env.int("HANDOFF_TENDER_ANSWER_MINUTES", default=60)
# How long a door is held for a supplier's truck whose ship notice (EDI 856) says when it comes.
HANDOFF_RECEIVING_DOOR_MINUTES = env.int("HANDOFF_RECEIVING_DOOR_MINUTES", default=60)
# A load its carrier declines, or does not answer in time, goes on to the next carrier's
# truck free for it, as a routing guide would (`integrations.services.routing_guide`); off,
# the dispatch office is alerted and chooses.
HANDOFF_TENDER_PASS_ON = env.bool("HANDOFF_TENDER_PASS_ON", default=True)
# Road distances are estimated from the great circle: its km times the roads' detour (1.0:
# as the crow flies; about 1.3 in a city, 1.2 between cities), driven at this average speed.
HANDOFF_ROAD_FACTOR = env.float("HANDOFF_ROAD_FACTOR", default=1.0)
HANDOFF_ROAD_SPEED_KMH = env.float("HANDOFF_ROAD_SPEED_KMH", default=45.0)
# A carrier's invoice (X12 210) above the tariff's price of the trip by more than this share
# (%) or this amount, whichever is larger, is disputed: an alert for the office.
HANDOFF_FREIGHT_TOLERANCE_PCT = env.float("HANDOFF_FREIGHT_TOLERANCE_PCT", default=2.0)
HANDOFF_FREIGHT_TOLERANCE_ABS = env.float("HANDOFF_FREIGHT_TOLERANCE_ABS", default=10.0)
# The currency of the carriers' tariffs and the trips' costs (an ISO 4217 code).
HANDOFF_CURRENCY = env("HANDOFF_CURRENCY", default="CNY")
# The daily payment run, on each warehouse's clock (HH:MM): the bills decided before it go
# to their carriers in one X12 820 per carrier.
HANDOFF_PAYMENT_RUN_AT = datetime.time.fromisoformat(env("HANDOFF_PAYMENT_RUN_AT", default="16:00"))
# How long published events stay in the outbox / feed (those of ledger rows stay for good).
HANDOFF_EVENTS_KEEP_DAYS = env.int("HANDOFF_EVENTS_KEEP_DAYS", default=7)
# KPI targets drawn on the board (lower is better where the name says so).
HANDOFF_KPI_TARGETS = {
    "order_cycle_time_h": 24.0,
    "order_to_delivery_h": 48.0,
    "on_time_shipping": 0.95,
    "otif": 0.9,
    "backorder_rate": 0.05,
    "inventory_record_accuracy": 0.98,
    "dock_to_stock_min": 120.0,
    "pick_lines_per_operator_hour": 60.0,
    "vehicle_weight_fill_pct": 80.0,
    "vehicle_volume_fill_pct": 80.0,
    "freight_cost_per_order": 40.0,
    "truck_dwell_min": 45.0,
    "supplier_dwell_min": 60.0,
    "alert_response_warehouse_min": 30.0,
    "alert_response_logistics_min": 30.0,
}
# How long a driver's run sheet link still opens once its run is complete (hours): then the
# receivers' names and addresses on it are no longer on the road with the link.
HANDOFF_RUN_SHEET_OPEN_AFTER_H = env.float("HANDOFF_RUN_SHEET_OPEN_AFTER_H", default=24.0)
# A customer's link to follow its order closes this many days after the order is done.
HANDOFF_TRACKING_OPEN_DAYS = env.float("HANDOFF_TRACKING_OPEN_DAYS", default=30.0)
HANDOFF_WEBHOOK_LEASE_S = env.float("HANDOFF_WEBHOOK_LEASE_S", default=60.0)
# How long processed Idempotency-Keys are kept.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("HANDOFF_IDEMPOTENCY_KEY_TTL_HOURS", default=48)

# --- Production hardening (checked by `manage.py check --deploy`) -----------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": "WARNING"},
        "pyBarcode": {"level": "WARNING"},
    },
}
