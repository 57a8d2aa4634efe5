# Two commands do everything on a fresh machine:
#   make run    set up .venv and start the app on http://localhost:8501
#   make test   set up .venv (plus test tools, Chromium and nginx), then lint and the whole test suite
#   make serve-class   a class on this machine: REPLICAS app processes (default: one per core) behind
#                      nginx on PORT (default 8501); Ctrl-C stops everything
VENV ?= .venv
PYTHON := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
REPLICAS ?= $(shell nproc 2>/dev/null || echo 2)
PORT ?= 8501

.PHONY: run serve-class test lint bench browser nginx clean

# The installed command (playground/cli.py): Streamlit on playground/app.py with the settings of
# playground/config.toml, http://localhost:8501.
run: $(VENV)/.runtime
	$(VENV)/bin/nn-playground serve --server.port 8501

# The students open http://<this machine>:$(PORT)/ (the command prints the address).
serve-class: $(VENV)/.runtime nginx
	$(VENV)/bin/nn-playground serve-class --replicas $(REPLICAS) --port $(PORT)

test: $(VENV)/.dev browser nginx
	$(PYTHON) -m ruff check engine playground tests bench
	$(PYTHON) -m pytest -q -n 2 --dist loadfile

bench: $(VENV)/.dev browser nginx
	$(PYTHON) -m bench.engine_steps
	$(PYTHON) -m bench.ui_fps
	$(PYTHON) -m bench.mnist --seeds 0,1,2
	$(PYTHON) -m bench.seeds
	$(PYTHON) -m bench.memory
	$(PYTHON) -m bench.monsters
	$(PYTHON) -m bench.classroom
	$(PYTHON) -m bench.classroom --students 30,60 --replicas 1,2 --skip-before --no-browser

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# The project itself is installed editable (engine and playground import from anywhere, and
# the nn-playground command exists); requirements.txt pins what it needs.
$(VENV)/.runtime: requirements.txt pyproject.toml | $(VENV)/bin/python
	$(PYTHON) -m pip install -q -r requirements.txt
	$(PYTHON) -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt pyproject.toml | $(VENV)/bin/python
	$(PYTHON) -m pip install -q -r requirements-dev.txt
	$(PYTHON) -m pip install -q --no-deps -e .
	touch $@ $(VENV)/.runtime

# Real-browser tests drive Debian's Chromium (Playwright's own browser download cannot
# work offline); fonts-nanum so Korean text renders instead of boxes.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=ko 2>/dev/null | grep -q .; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-nanum; \
	fi

# serve-class and its test put replicas behind Debian's nginx (often not on a user's PATH: /usr/sbin).
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nginx; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache shots
