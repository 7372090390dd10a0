# The front door. `make demo` and `make test` work on a fresh Debian 12 machine as root.
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
RELEASE_DIR := build/release
DEBUG_DIR := build/debug
FUZZ_DIR := build/fuzz
DEPS_STAMP := build/.deps-installed
DATA ?=
FORMAT ?=
DEMO_FLAGS ?=

APT_PACKAGES := build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev \
  librocksdb-dev libsimdjson-dev libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev \
  libabsl-dev libxxhash-dev libroaring-dev libhnswlib-dev libjemalloc-dev libssl-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev \
  libeigen3-dev

.PHONY: all release debug test demo bench fuzz deps clean e2e-deps

all: release

# Installs the Debian packages the build and tests need (root, apt-get), once.
deps: $(DEPS_STAMP)
$(DEPS_STAMP): Makefile
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	@mkdir -p build && touch $@

$(RELEASE_DIR)/build.ninja: CMakeLists.txt | $(DEPS_STAMP)
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

release: $(DEPS_STAMP) $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS)

debug: $(DEPS_STAMP)
	cmake -S . -B $(DEBUG_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(DEBUG_DIR) -j $(JOBS)

# Node packages for the real-client tests (Segment's analytics-node, playwright-core for
# the dashboard), from npm, and Debian's chromium for the dashboard's browser test.
e2e-deps:
	@dpkg -s chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	cd tests/e2e/node && npm install --no-audit --no-fund --loglevel=error

# The whole suite: unit, integration (real binary over HTTP, kill -9), the
# analytics-node client test, and a short libFuzzer pass over the parsers.
test: release e2e-deps fuzz
	cd $(RELEASE_DIR) && ctest --output-on-failure -j 2 --timeout 600

# Runs the simulated shop through the real pipeline; DATA=DIR FORMAT=... imports a
# dataset of yours instead and then serves it.
demo: release
ifeq ($(DATA),)
	$(RELEASE_DIR)/aidmp demo $(DEMO_FLAGS)
else
	$(RELEASE_DIR)/aidmp import --data demo-data --format $(FORMAT) $(DATA)
	$(RELEASE_DIR)/aidmp serve --data demo-data --write-key demo-write-key --admin-key demo-admin-key
endif

# The baselines need PostgreSQL's server and client library and ClickHouse's server and
# client; installed here only.
BENCH_PACKAGES := postgresql libpq-dev clickhouse-server clickhouse-client
bench: $(DEPS_STAMP)
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(RELEASE_DIR) -j $(JOBS) --target aidmp_bench_ingest aidmp_bench_profiles aidmp_bench_identity aidmp_bench_rebuild \
	  aidmp_bench_segments aidmp_bench_live_segments aidmp_bench_recommend aidmp_bench_recommend_serving aidmp_bench_segment_http \
	  aidmp_bench_recommend_ann aidmp_bench_codec aidmp_bench_dense_set aidmp_bench_index_memtable aidmp_bench_processors
	$(RELEASE_DIR)/bench/aidmp_bench_ingest $(BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_profiles $(PROFILES_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_identity $(IDENTITY_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_rebuild $(REBUILD_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_segments $(SEGMENTS_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_live_segments $(LIVE_SEGMENTS_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_recommend $(RECOMMEND_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_recommend_serving $(RECOMMEND_SERVING_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_segment_http $(SEGMENT_HTTP_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_recommend_ann $(RECOMMEND_ANN_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_codec $(CODEC_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_dense_set $(DENSE_SET_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_index_memtable $(INDEX_MEMTABLE_BENCH_FLAGS)
	$(RELEASE_DIR)/bench/aidmp_bench_processors $(PROCESSORS_BENCH_FLAGS)

# libFuzzer targets (clang); the test suite runs each for a short bounded pass.
fuzz: $(DEPS_STAMP)
	CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DAIDMP_BUILD_TESTS=OFF -DAIDMP_BUILD_BENCH=OFF -DAIDMP_BUILD_FUZZ=ON
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target aidmp_fuzzers

clean:
	rm -rf build
