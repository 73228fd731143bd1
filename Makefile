# Handoff — the two quick-start commands are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test bench stack worker beat lint format messages screenshots clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, load demo data, serve HTTP + WebSocket on http://127.0.0.1:8000
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Handoff is running on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	@echo ""
	$(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --log-level warning

## make test: the whole suite (embedded by default; DATABASE_URL / REDIS_URL for the real stack)
test: install
	$(BIN)/python -m pytest

## make bench: benchmarks against the real stack (needs DATABASE_URL and REDIS_URL)
bench: install
	$(BIN)/python bench/run.py

## make stack: web + worker + beat on the real stack from env, without Docker
stack: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	sh platform/stack.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make screenshots: the browser tests, then their pictures of the pages into docs/
screenshots: install
	$(BIN)/python -m pytest tests/browser -q
	cp var/screenshots/floor.png var/screenshots/dispatch.png var/screenshots/kpis.png var/screenshots/run-sheet.png var/screenshots/consignee.png docs/

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests --ignore=bench
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
