# Backstep: the two commands are `make run` and `make test`.
# Stamps in .make/ keep a second `make run` quick when nothing changed.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMPS := .make
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Links in e-mails (invitations, password resets, flag alerts) start with SITE_URL. Unless it is set,
# it follows the server, so `make run PORT=8100` e-mails links to port 8100.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test install assets migrate demo serve clean logins bench messages

run: install migrate demo logins serve

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

install: $(STAMPS)/python $(STAMPS)/assets

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Backstep needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

$(STAMPS)/python: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/node: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

# Copies the pinned npm libraries into assets/ and collects static files.
$(STAMPS)/assets: $(STAMPS)/node $(STAMPS)/python scripts/build-assets.mjs $(shell find static pwa -type f 2>/dev/null)
	npm run --silent build
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@mkdir -p $(STAMPS) && touch $@

assets: $(STAMPS)/assets

migrate: install
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py load_library

demo: migrate
	$(PY) manage.py seed_demo --if-missing

logins:
	@echo ""
	@echo "  Backstep demo is ready on http://$(HOST):$(PORT) (e-mailed links: $(SITE_URL))"
	@echo "  Demo Clinic      admin      admin@demo.clinic       / demo-admin"
	@echo "                   therapist  therapist@demo.clinic   / demo-therapist"
	@echo "                   patient    patient@demo.clinic     / demo-patient"
	@echo "                   paciente   paciente@demo.clinic    / demo-patient   (in Spanish)"
	@echo "  Northside Physio therapist  therapist@northside.clinic / demo-therapist"
	@echo "                   patient    patient@northside.clinic   / demo-patient"
	@echo ""

# DEBUG stays off unless set (`DEBUG=true make run`): the demo shows Backstep's own error pages.
# Static files come from WhiteNoise (clinic/settings.py), which runserver's DEBUG-only handler would not.
serve:
	SITE_URL='$(SITE_URL)' $(PY) manage.py runserver $(HOST):$(PORT)

# The benchmark (README, "Performance"): PostgreSQL + Redis when DATABASE_URL and REDIS_URL
# are set, SQLite + eager Celery otherwise. `make bench BENCH_SCALE=0.01` is the smoke mode.
# The phone figures (bench/phone.py) load today's page in Chromium from a production gunicorn, so the
# front-end build comes first; `manage.py bench --skip-phone` leaves them out.
# `make bench BENCH_YEARS=5` builds five years of history per patient (make passes no --flags through);
# `make bench BENCH_COMPARE_YEARS=1,5` measures the report and pages at 1 and at 5 years side by side.
BENCH_SCALE ?= 1
BENCH_RUNS  ?= 5
BENCH_YEARS ?= 1
BENCH_COMPARE_YEARS ?=
bench: $(STAMPS)/python $(STAMPS)/assets
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py bench --scale $(BENCH_SCALE) --runs $(BENCH_RUNS) --years $(BENCH_YEARS) \
		$(if $(BENCH_COMPARE_YEARS),--compare-years $(BENCH_COMPARE_YEARS)) --out bench-results.json

# Re-extracts every marked text into locale/<code>/LC_MESSAGES/*.po and compiles the .mo files (needs GNU
# gettext: apt-get install gettext). Translate the new entries, then run it again and commit both files.
MESSAGE_IGNORES := -i ".venv/*" -i "node_modules/*" -i "assets/*" -i "staticfiles/*" -i "*/tests/*" -i "tests/*" -i "bench/*" -i "scripts/*"
messages: install
	$(PY) manage.py makemessages -l es -l de --no-wrap --no-location --no-obsolete $(MESSAGE_IGNORES)
	$(PY) manage.py makemessages -d djangojs -l es -l de --no-wrap --no-location --no-obsolete $(MESSAGE_IGNORES) -i "pwa/*"
	$(PY) manage.py compilemessages --ignore ".venv" --ignore "node_modules"

clean:
	rm -rf $(VENV) node_modules assets staticfiles $(STAMPS) db.sqlite3
