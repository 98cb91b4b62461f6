# OGI Reports. `make serve` builds and serves the site; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB := data/ogi.db
INSPECT := data/inspect.json
HOST ?= 127.0.0.1
PORT ?= 8001
# A read-only public site, immutable, with the options in serving.py (their one place).
DATASETTE_OPTIONS = $(shell $(PYTHON) serving.py options)

# Debian packages: Chromium for the browser tests, antiword for legacy .doc/.wps
# reports, CJK fonts so screenshots show Chinese, Redis for the shared-crawl test.
SYSTEM_PACKAGES := chromium antiword fonts-noto-cjk redis-server

.PHONY: install system build serve test test-fast score clean bundle static publish corpus bench harvest vendor mutation

install: system $(VENV)/.installed node_modules/.package-lock.json

# Browser code from npm, pinned by package-lock.json: sql.js-httpvfs (the static copy reads its
# database with it) and axe-core (the browser tests' accessibility check).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --ignore-scripts --no-audit --no-fund --silent; \
	else echo "note: install node and npm (the static copy and the browser tests need node_modules)"; fi

system:
	@if command -v chromium >/dev/null && command -v antiword >/dev/null && command -v redis-server >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	else echo "note: install $(SYSTEM_PACKAGES) with your package manager (browser tests and .doc reports need them)"; fi

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

build: install
	$(BIN)/python build.py --db $(DB) reports
	$(BIN)/datasette inspect $(DB) --inspect-file $(INSPECT)
	$(BIN)/python serving.py download $(DB)

serve: build
	$(BIN)/datasette serve -i $(DB) --inspect-file $(INSPECT) $(DATASETTE_OPTIONS) -h $(HOST) -p $(PORT)

test: install
	$(BIN)/python -m pytest

# The fast layer: parsers, build, site; no Chromium, deploy bundle or synthetic corpora.
test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser and not deploy"

clean:
	rm -rf $(VENV) data dist .pytest_cache

# Deployment (deploy.py). APP names the Fly app / Cloud Run service; LIVE_URL is where
# the static copy sends search and SQL (default empty: a self-contained copy, those links dropped).
APP ?= ogi-reports
LIVE_URL ?=
PROVIDER ?= fly

bundle: build
	$(BIN)/python deploy.py bundle --db $(DB) --out dist/bundle --app $(APP)

static: build
	$(BIN)/python deploy.py static --db $(DB) --out dist/static --live-url "$(LIVE_URL)"

publish: build
	$(BIN)/python deploy.py publish $(PROVIDER) --db $(DB) --app $(APP)

# Fetch the reports listed in sites.csv (their agencies' report columns) into reports/harvested/;
# `make build` then reads them. HARVEST_OPTIONS: e.g. --delay 2 --contact you@example.org
SITES ?= sites.csv
HARVEST_OPTIONS ?=
harvest: install
	$(BIN)/python harvest.py --sites $(SITES) --out reports/harvested $(HARVEST_OPTIONS)

# Mutation testing (mutation.py, mutmut): do the tests notice small bugs in the modules that make
# the published numbers? Prints the score per module and the survivors; writes build/mutation.json.
mutation: install
	rm -rf mutants
	$(BIN)/python mutation.py

# Accuracy against the hand-read expectations in tests/expected/ (see score.py).
score: install
	$(BIN)/python score.py

# Scale (bench/): `make corpus N=100000` writes a synthetic corpus to build/corpus;
# `make bench` measures builds and latency at 10,000 and 100,000 reports (build/bench.json), then the
# static copy of each (build/static.json).
N ?= 10000
SEED ?= 1
corpus: install
	rm -rf build/corpus build/corpus.truth.jsonl
	$(BIN)/python -m bench.corpus --n $(N) --seed $(SEED) --out build/corpus

bench: install
	$(BIN)/python build.py --db build/weight.db reports
	$(BIN)/python -m bench.weight --db build/weight.db --out build/weight.json
	$(BIN)/python -m bench.pdf --n 60 --out build/pdf.json
	$(BIN)/python -m bench.bench --sizes 10000 100000 --out build/bench.json
	$(BIN)/python -m bench.static --sizes 10000 100000 --out build/static.json

# Vendored browser code (committed; `make vendor` fetches it again from npm). vega-interpreter lets
# the charts draw under a Content-Security-Policy without 'unsafe-eval' (plugins/ogi_guard.py);
# its ES module is made a classic script that takes its imports from, and adds itself to, `vega`.
VEGA_INTERPRETER := 2.3.2
vendor:
	mkdir -p build/npm && cd build/npm && npm pack --silent vega-interpreter@$(VEGA_INTERPRETER) && tar xzf vega-interpreter-$(VEGA_INTERPRETER).tgz
	{ echo "// vega-interpreter $(VEGA_INTERPRETER) (BSD-3-Clause, github.com/vega/vega), as a classic script: make vendor"; \
	  echo "(function (vega) {"; \
	  sed -e "s/^import { \(.*\) } from 'vega-util';/const { \1 } = vega;/" \
	      -e "s/^export { expression as expressionInterpreter };/vega.expressionInterpreter = expression;/" \
	      -e "/sourceMappingURL/d" build/npm/package/build/vega-interpreter.js; \
	  echo "})(window.vega);"; } > plugins/static/vega-interpreter.js
	cp build/npm/package/LICENSE plugins/static/vega-interpreter.LICENSE
