# Thin wrapper over Meson + Ninja. `make run` and `make test` are the two commands a new
# machine needs; both install any missing Debian packages first (scripts/deps.sh).

BUILD      ?= build
ASAN_BUILD ?= build-asan
DATA       ?= $(abspath ../shared/data)
DEMO_DB    ?= $(BUILD)/demo.db
LISTEN     ?= 127.0.0.1:8080
PREFIX     ?= /usr/local

DEBS = gcc meson ninja-build pkg-config libmicrohttpd-dev libjansson-dev libsodium-dev \
       libsqlite3-dev libpq-dev postgresql libcmocka-dev libcurl4-openssl-dev libxml2-dev libcsv-dev libgeos-dev libmagic-dev libssl-dev zlib1g-dev libzstd-dev sqlite3 \
       clang-format
BENCH_DEBS = wrk nginx-light
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_DEBS = clang libclang-rt-14-dev

.PHONY: all deps build asan run test test-fast bench fuzz format clean install

all: build

deps:
	@scripts/deps.sh $(DEBS)
	@scripts/deps-web.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
	  -Dc_args=-fno-sanitize-recover=all

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# The binary in PREFIX/bin and what it reads (the scenarios) in PREFIX/share/truce; DESTDIR
# stages the tree elsewhere, as packagers do. The installed binary needs no source tree.
install: deps $(BUILD)/build.ninja
	meson configure $(BUILD) -Dprefix=$(PREFIX)
	ninja -C $(BUILD)
	DESTDIR="$(DESTDIR)" meson install -C $(BUILD) --no-rebuild

run: build
	$(BUILD)/truce demo --force --db $(DEMO_DB) --listen $(LISTEN) \
	  $(if $(wildcard $(DATA)/aid),--data $(DATA))

# Checks the format, then runs every test twice: in the optimised build and under ASan + UBSan
# (the browser tests, tests/web, in Debian's chromium, with each build's server).
test: build asan
	@scripts/deps-web.sh browser
	@scripts/check-format.sh
	@TRUCE_DATA=$(DATA) scripts/run-tests.sh $(BUILD) $(ASAN_BUILD)

test-fast: build
	@scripts/deps-web.sh browser
	@scripts/check-format.sh
	@TRUCE_DATA=$(DATA) scripts/run-tests.sh $(BUILD)

bench: build
	@scripts/deps.sh $(BENCH_DEBS)
	@TRUCE_DATA=$(DATA) bench/run.sh $(BUILD)

# libFuzzer (clang) with ASan + UBSan on the parsers of untrusted input: the ACLED
# importer, report bodies, zone geometries; FUZZ_SECONDS each (see fuzz/run.sh).
$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Dwerror=false -Db_sanitize=address,undefined \
	  -Db_lundef=false -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all'

fuzz: deps
	@scripts/deps.sh $(FUZZ_DEBS)
	@$(MAKE) --no-print-directory $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) fuzz/fuzz_acled fuzz/fuzz_report fuzz/fuzz_zone fuzz/fuzz_note fuzz/fuzz_genius \
	  fuzz/fuzz_http fuzz/fuzz_aid
	@FUZZ_SECONDS=$(FUZZ_SECONDS) TRUCE_DATA=$(DATA) fuzz/run.sh $(FUZZ_BUILD)

format: deps
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
