# Two commands do everything on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
ARGS ?=
PKG ?=

.PHONY: install node-sdks run test lint bench bench-realtime soak load fuzz fixtures mutation clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,bench]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# Chinese label text (ZEGO's Label) needs a CJK font. Best effort, as root where apt-get works: elsewhere
# labels fall back to Pillow's own font (Latin only) and the test of Chinese glyphs is skipped.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

$(CJK_FONT):
	-[ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		DEBIAN_FRONTEND=noninteractive timeout 120 apt-get install -y -q fonts-wqy-microhei >/dev/null

# The dashboard's browser test drives headless Chromium (Debian's package). Best effort, as root where apt-get
# works (the package lists are fetched first if they are missing); elsewhere that test is skipped and says
# what to install.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	-[ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && { \
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q chromium >/dev/null 2>&1 || { \
		timeout 120 apt-get update -q >/dev/null 2>&1 && \
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q chromium >/dev/null; }; }

install: $(STAMP) $(CJK_FONT) $(CHROMIUM)

# The providers' official Node.js SDKs for tests/e2e/test_node_sdks.py. Best effort: node and npm come from
# apt-get where it works as root; elsewhere those tests skip and say what to install.
NODE_DIR := tests/e2e/node
NODE_STAMP := $(NODE_DIR)/node_modules/.package-lock.json
APT_NODE := DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q nodejs npm >/dev/null

$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	-command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ $(APT_NODE) || { apt-get update -q >/dev/null && $(APT_NODE); }; }; }
	-command -v npm >/dev/null && cd $(NODE_DIR) && timeout 300 npm ci --no-audit --no-fund --loglevel=error

node-sdks: $(NODE_STAMP)

run: install  ## start the emulator on 127.0.0.1:8080 with demo streams published
	$(BIN)/mix-emulator serve --demo $(ARGS)

test: install node-sdks  ## the whole suite (lint included)
	$(BIN)/ruff check emulator tests bench fixtures tools
	$(BIN)/python -m pytest -n 2 --dist loadfile $(ARGS)

lint: install
	$(BIN)/ruff check emulator tests bench fixtures tools
	$(BIN)/ruff format --check emulator tests bench fixtures tools

bench: install  ## emulator vs FFmpeg: the offline composite, then realtime capacity (bench-realtime)
	$(BIN)/python -m bench.composite $(ARGS)
	$(BIN)/python -m bench.realtime

bench-realtime: install  ## live mixes held at realtime vs FFmpeg processes, StartMix p99, glass-to-glass
	$(BIN)/python -m bench.realtime $(ARGS)

soak: install  ## 1,000 mix start/stop cycles (three providers, realtime and fast); threads, fds, RSS before/after
	$(BIN)/python -m bench.soak $(ARGS)

load: install  ## 200 concurrent API clients while 20 mixes run; the control API with 100 running tasks
	$(BIN)/python -m bench.load $(ARGS)

N ?= 100000
fuzz: install  ## N signed, mutated requests to every provider action and control route (N=1000000: the long run)
	$(BIN)/python -m bench.fuzz -n $(N) $(ARGS)

# Mutation testing (mutmut, the `mutation` extra): slow, so not part of `make test`. One package at a time with
# PKG=core|control|media|providers|tencent|zego|volcengine (default: all, hours); the score table and the
# survivors are printed at the end (again with `.venv/bin/python tools/mutation.py report`).
MUTATION_STAMP := $(VENV)/.mutation-$(shell cksum < pyproject.toml | cut -d' ' -f1)

$(MUTATION_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,bench,mutation]'
	rm -f $(VENV)/.mutation-* && touch $(MUTATION_STAMP)

mutation: install $(MUTATION_STAMP)  ## mutation scores per package (PKG=core etc.), at the lowest CPU priority
	nice -n 19 $(BIN)/python tools/mutation.py run $(PKG) $(ARGS)

fixtures: install  ## regenerate the small media clips under fixtures/media
	$(BIN)/python fixtures/make_media.py

clean:
	rm -rf $(VENV) data bench/out fixtures/media $(NODE_DIR)/node_modules mutants
