# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Tests always run on a real PostgreSQL and Redis; these defaults are the ones this machine kind starts.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL ?= redis://127.0.0.1:6379/11

.PHONY: install system-deps messages models demo test reqs lint schema clean

install: $(STAMP) messages

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# System packages the project needs: gettext (compiling translations), the WenQuanYi CJK font (embedded in PDF
# reports). apt only when something is missing.
system-deps:
	@missing=""; command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

messages: $(STAMP)
	cd backend && ../$(BIN)/python manage.py compilemessages --ignore=.venv -v 0

# The risk models' ONNX graphs (ml_models/dist/), rebuilt only when a specification changed.
models: $(STAMP)
	$(BIN)/python -m ml_models.build

demo: install models
	cd backend && ../$(BIN)/python manage.py rundemo

test: install models
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  $(BIN)/python -m pytest $(PYTEST_ARGS)

reqs: install
	@$(BIN)/python -m pytest --collect-only -q --reqs-table -p no:randomly 2>/dev/null | sed -n '/^ID /,$$p'

lint: install
	$(BIN)/ruff check backend tests bench

schema: install
	cd backend && ../$(BIN)/python manage.py spectacular --validate --fail-on-warn --file ../var/openapi.yaml

clean:
	rm -rf $(VENV) ml_models/dist var/demo.sqlite3 var/demo.sqlite3-wal var/demo.sqlite3-shm var/media var/static var/logs
