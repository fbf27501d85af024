# Doorstep: `make run` serves the API with the demo campaign, `make test` runs the suite.
# Both install what is missing. With DATABASE_URL set they use that database and start none.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV_VERSION := 0.13.9
UV := .tools/bin/uv
PY := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never
# The database: $DATABASE_URL, or a local cluster under .data/ started on demand.
DB_URL = $(if $(DATABASE_URL),$(DATABASE_URL),$(shell scripts/localdb.sh url))
# The local server's token signing key: $SECRET_KEY, or one made at random once and kept in
# .data/secret_key (mode 600). Local commands run in development mode (DOORSTEP_ENV).
KEY_FILE := .data/secret_key
# API server processes for `make run`: one per core unless WEB_CONCURRENCY says otherwise.
WEB_CONCURRENCY ?= $(shell nproc 2>/dev/null || echo 2)
LOCAL_ENV = DOORSTEP_ENV=development DATABASE_URL="$(DB_URL)" \
	SECRET_KEY="$${SECRET_KEY:-$$(cat $(KEY_FILE))}"

.PHONY: help run test stop db browser migrate demo openapi lint format bench-import bench-walk-list bench-route bench-sheet bench-turf bench-sync bench-jobs bench-web faults fuzz clean

help:
	@echo "make run    serve the API with the demo campaign on http://127.0.0.1:8000"
	@echo "make test   run the test suite"
	@echo "make stop   stop the local database"
	@echo "make openapi | lint | format | fuzz | faults"
	@echo "make bench-import | bench-walk-list | bench-route | bench-sheet | bench-turf | bench-sync | bench-jobs | bench-web"

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install -q "uv==$(UV_VERSION)"

.venv/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --quiet
	@touch $@

db:
ifndef DATABASE_URL
	@scripts/localdb.sh ensure
endif

$(KEY_FILE):
	@mkdir -p $(dir $@)
	@(umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(48))' > $@.tmp)
	@chmod 600 $@.tmp && mv $@.tmp $@
	@echo "made a random SECRET_KEY for this machine in $@"

migrate: .venv/.synced db $(KEY_FILE)
	$(LOCAL_ENV) .venv/bin/alembic upgrade heads

demo: migrate
	$(LOCAL_ENV) .venv/bin/doorstep load-demo

# The API (WEB_CONCURRENCY processes, default: one per core) and the job worker, together;
# Ctrl-C stops both. Metrics of all these processes add up through PROMETHEUS_MULTIPROC_DIR.
run: demo
	@echo ""
	@echo "  API   http://127.0.0.1:8000/api/v1"
	@echo "  docs  http://127.0.0.1:8000/docs"
	@echo "  app   http://127.0.0.1:8000/app/       (volunteers' phones)"
	@echo "  entry http://127.0.0.1:8000/app/entry  (data entry of paper sheets)"
	@$(LOCAL_ENV) .venv/bin/doorstep demo-logins
	@echo ""
	@rm -rf .data/metrics && mkdir -p .data/metrics
	@$(LOCAL_ENV) PROMETHEUS_MULTIPROC_DIR=.data/metrics .venv/bin/doorstep worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(LOCAL_ENV) PROMETHEUS_MULTIPROC_DIR=.data/metrics .venv/bin/uvicorn app.main:create_app \
		--factory --host 127.0.0.1 --port 8000 --workers $(WEB_CONCURRENCY) \
		--timeout-graceful-shutdown 20

# The web tests drive Debian's Chromium (installed with apt when missing; CHROMIUM=path skips it)
# and check each screen with axe-core (npm, pinned by package-lock.json; Node.js from apt when
# missing).
browser: node_modules/.installed
	@[ -n "$$CHROMIUM" ] || scripts/browser.sh

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || scripts/browser.sh --node
	npm ci --ignore-scripts --no-audit --no-fund --silent
	@touch $@

test: .venv/.synced db browser
	DATABASE_URL="$(DB_URL)" .venv/bin/pytest $(PYTEST_ARGS)

stop:
	@scripts/localdb.sh stop

openapi: .venv/.synced
	$(PY) -m app.contract > openapi.yaml

lint: .venv/.synced
	.venv/bin/ruff check app tests bench alembic
	.venv/bin/ruff format --check app tests bench alembic
	.venv/bin/mypy

format: .venv/.synced
	.venv/bin/ruff check --fix app tests bench alembic
	.venv/bin/ruff format app tests bench alembic

bench-import: .venv/.synced db
	DOORSTEP_ENV=development DATABASE_URL="$(DB_URL)" $(PY) bench/import_voters.py $(BENCH_ARGS)

bench-walk-list: .venv/.synced db
	DOORSTEP_ENV=development DATABASE_URL="$(DB_URL)" $(PY) bench/walk_list.py $(BENCH_ARGS)

bench-route: .venv/.synced db
	DOORSTEP_ENV=development DATABASE_URL="$(DB_URL)" $(PY) bench/route.py $(BENCH_ARGS)

bench-turf: .venv/.synced db
	DOORSTEP_ENV=development DATABASE_URL="$(DB_URL)" $(PY) bench/turf_cut.py $(BENCH_ARGS)

bench-sync: .venv/.synced db
	DOORSTEP_ENV=development DATABASE_URL="$(DB_URL)" $(PY) bench/sync_load.py $(BENCH_ARGS)

bench-web: .venv/.synced db browser
	DOORSTEP_ENV=development DATABASE_URL="$(DB_URL)" $(PY) bench/web_render.py $(BENCH_ARGS)

bench-jobs: .venv/.synced db
	DOORSTEP_ENV=development DATABASE_URL="$(DB_URL)" $(PY) bench/jobs.py $(BENCH_ARGS)

# The release fuzz: the contract test with a longer budget, the stateful phase and 500 examples
# per operation (FUZZ_SECONDS, default 20 minutes).
FUZZ_SECONDS ?= 1200
fuzz: .venv/.synced db
	DATABASE_URL="$(DB_URL)" DOORSTEP_FUZZ_SECONDS=$(FUZZ_SECONDS) \
		.venv/bin/pytest tests/contract $(PYTEST_ARGS)

# Fault drills against a real server and the local cluster (restarts it: not while tests run).
faults: .venv/.synced db
	DOORSTEP_ENV=development DATABASE_URL="$(DB_URL)" $(PY) -u bench/faults.py $(BENCH_ARGS)

bench-sheet: .venv/.synced
	$(PY) bench/walk_sheet.py $(BENCH_ARGS)

clean: stop
	rm -rf .data .venv .tools
