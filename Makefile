# Switchboard — the two commands a newcomer needs are `make run` and `make test`.
SWIFT        ?= swift
# bash for `set -o pipefail`: the test recipe pipes `swift test` through tee and must keep its exit status.
SHELL        := /bin/bash
APT_PACKAGES := libzmq3-dev libhiredis-dev libssl-dev zlib1g-dev redis-server redis-sentinel iproute2 python3-yaml python3-venv chromium nodejs docker-compose prometheus
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBUG_BIN     = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)
RELEASE_BIN   = $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)
SWIFT_SOURCES = Package.swift Shared Services Tools Tests Benchmarks

.PHONY: help deps build release run up down status test unit-test lint format check-compose check-dockerfile check-ops check-edge-links check-assets bench chaos multihost autobahn fuzz clean

help:
	@echo "make run    install what is missing, build (release), start Redis + all services, wait for /health; Ctrl-C stops"
	@echo "make test   install what is missing, build once, lint, check compose.yaml, run every test"
	@echo "make up / down / status    the same system in the background"
	@echo "make bench  the benchmarks (see Benchmarks/README.md)"
	@echo "make chaos  kill every process in turn under load and report disconnects, recovery and lost messages"
	@echo "make multihost  four hosts as network namespaces: Sentinel failover, scheduler takeover, a cut-off edge (root)"
	@echo "make autobahn  the Autobahn TestSuite (kosoku) against the edge's /ws/echo, HTML report in .build/autobahn/"
	@echo "make fuzz   fuzz the edge's frame parsing with libFuzzer for FUZZ_SECONDS (default 120); not part of make test"

## deps: install the Debian packages the build and the tests need, when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build --build-tests

release: deps
	$(SWIFT) build -c release

run: release
	$(RELEASE_BIN)/switchboard up

up: release
	$(RELEASE_BIN)/switchboard up --detach

down:
	@if [ -x "$(RELEASE_BIN)/switchboard" ]; then $(RELEASE_BIN)/switchboard down; else $(DEBUG_BIN)/switchboard down; fi

status:
	@if [ -x "$(RELEASE_BIN)/switchboard" ]; then $(RELEASE_BIN)/switchboard status; else $(DEBUG_BIN)/switchboard status; fi

## test: one build of everything (executables included), then every test against those binaries; ends with the 10 slowest.
test: build lint check-compose check-edge-links check-assets
	@set -o pipefail; mkdir -p .build; \
	SWITCHBOARD_BIN_DIR=$(DEBUG_BIN) $(SWIFT) test --skip-build 2>&1 | tee .build/test-output.log; status=$$?; \
	python3 .ci/slowest-tests.py .build/test-output.log 10; \
	if [ "$$(id -u)" = 0 ]; then python3 Tools/multihost/multihost.py $(DEBUG_BIN) || status=1; \
	else echo "multihost skipped: network namespaces need root"; fi; \
	python3 Tools/autobahn/run.py --bin-dir $(DEBUG_BIN) quick || status=1; \
	exit $$status

lint:
	$(SWIFT) format lint --strict --recursive --configuration .swift-format $(SWIFT_SOURCES)

format:
	$(SWIFT) format format --in-place --recursive --configuration .swift-format $(SWIFT_SOURCES)

## check-compose: both compose files, structurally and with docker-compose config; the Dockerfile's Swift; the ops kit.
check-compose: check-dockerfile check-ops
	python3 .ci/check-compose.py compose.yaml
	python3 .ci/check-compose.py --multihost compose.multihost.yaml
	.ci/compose-config.sh compose.yaml compose.multihost.yaml

## check-dockerfile: the image's Swift against the highest swift-tools-version of the resolved graph (after a build).
check-dockerfile:
	python3 .ci/check-dockerfile.py Dockerfile .

## check-ops: promtool on the alert rules, and on a live /metrics scrape of a briefly started system (debug build).
check-ops:
	.ci/check-ops.sh $(DEBUG_BIN)

## check-edge-links: the edge has no Redis client (issue 13): fails when ldd of the built (debug) ws-edge names hiredis
## or a file of Services/ws-edge imports Redis.
check-edge-links: build
	@bin="$(DEBUG_BIN)/ws-edge"; [ -x "$$bin" ] || { echo "check-edge-links: $$bin is not built"; exit 1; }; \
	if ldd "$$bin" | grep -i hiredis; then echo "check-edge-links: ws-edge links hiredis; the edge must reach Redis through the services"; exit 1; fi; \
	if grep -rlnx 'import Redis' Services/ws-edge; then echo "check-edge-links: the files above import Redis"; exit 1; fi; \
	echo "check-edge-links: ws-edge does not link hiredis"

## check-assets: the console's JavaScript through node's parser; openapi.json and the pages' links through a structure check.
check-assets:
	node --check Services/ws-edge/Console/Assets/console.js
	python3 .ci/check-assets.py Services/ws-edge

bench: release
	$(RELEASE_BIN)/switchboard-bench all

## chaos: kill -9 every service in turn, restart Redis, kill one of two edges, all under load; prints the report, fails on a broken promise.
chaos: release
	$(RELEASE_BIN)/switchboard-chaos $(CHAOS_ARGS)

## multihost: four network-namespace hosts (Redis master + 2 replicas + 3 sentinels, 2 schedulers, 2 edges), faults, report.
multihost: build
	python3 Tools/multihost/multihost.py $(DEBUG_BIN)

## autobahn: every Autobahn case (kosoku) but 12.*/13.* (no compression yet) against /ws/echo, 9.* with a 16 MiB limit.
autobahn: build
	python3 Tools/autobahn/run.py --bin-dir $(DEBUG_BIN) full

## fuzz: libFuzzer (swiftc -sanitize=fuzzer) over ClientMessage.parse and every payload decode, seeded from the recorded
## schemas; bounded by FUZZ_SECONDS, crashes land in .build/fuzz/crash-*. Not in CI or make test.
FUZZ_SECONDS ?= 120
FUZZ_DIR      = .build/fuzz
FUZZ_FLAGS    = -sanitize=fuzzer,address -parse-as-library -O -g -I $(FUZZ_DIR)
fuzz:
	@mkdir -p $(FUZZ_DIR)/corpus
	swiftc $(FUZZ_FLAGS) -module-name SwitchboardProtocol -emit-library -static -emit-module \
		-emit-module-path $(FUZZ_DIR)/SwitchboardProtocol.swiftmodule -o $(FUZZ_DIR)/libSwitchboardProtocol.a $(wildcard Shared/Protocol/*.swift)
	swiftc $(FUZZ_FLAGS) -module-name ClientFrames -emit-library -static -emit-module \
		-emit-module-path $(FUZZ_DIR)/ClientFrames.swiftmodule -o $(FUZZ_DIR)/libClientFrames.a $(shell find Shared/ClientFrames -name '*.swift')
	swiftc $(FUZZ_FLAGS) -L $(FUZZ_DIR) -lClientFrames -lSwitchboardProtocol Tools/fuzz/*.swift -o $(FUZZ_DIR)/client-frames-fuzzer
	ASAN_OPTIONS=detect_leaks=0 CLIENT_FRAMES_SEEDS=$(FUZZ_DIR)/seeds $(FUZZ_DIR)/client-frames-fuzzer
	$(FUZZ_DIR)/client-frames-fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -detect_leaks=0 -print_final_stats=1 \
		-dict=$(FUZZ_DIR)/seeds.dict -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds

clean:
	rm -rf .build .run
