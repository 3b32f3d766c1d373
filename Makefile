# playrouter: the two commands a newcomer needs are `make run` and `make test`.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all build asan fuzz-build deps run test test-build test-asan bench fuzz soak clean format

all: build

deps:
	@bash scripts/install-deps.sh

# Configures once, then builds incrementally.
build:
	@command -v cmake >/dev/null && pkg-config --exists libmicrohttpd jansson libcurl hiredis libjwt cmocka re2 || bash scripts/install-deps.sh
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLAYROUTER_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPLAYROUTER_WERROR=ON -DPLAYROUTER_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The libFuzzer targets of tests/fuzz/ (clang, ASan+UBSan, coverage): a folder of its own.
fuzz-build:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLAYROUTER_FUZZ=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

# The whole CTest suite, once on the normal build and once under ASan+UBSan, then a
# short run of every fuzz target (FUZZ_SECONDS in CMake, 10 s by default).
test: build asan fuzz-build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j $(JOBS)

# Longer fuzzing: every target FUZZ_SECONDS (default 600), FUZZ_JOBS at a time, niced.
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_BUILD)

# Starts the server; with no SPOTIFY_CLIENT_ID it starts the bundled emulator (demo mode).
# The build's output goes to a log; only its failure is shown.
run:
	@mkdir -p $(BUILD) && echo "make run: building (log in $(BUILD)/make-run.log)..."
	@$(MAKE) --no-print-directory build >$(BUILD)/make-run.log 2>&1 || { tail -n 40 $(BUILD)/make-run.log; echo "make run: the build failed (whole log: $(BUILD)/make-run.log)"; exit 1; }
	@bash scripts/run.sh $(BUILD)

bench: build
	@bash bench/run.sh $(BUILD)

# 200 read connections for 60 s while 20 syncs loop and the emulator injects 5xx, 429
# and dropped connections (tests/soak/soak.py; SOAK_SECONDS, SOAK_CONNECTIONS, SOAK_SYNCS).
soak: build
	python3 -B tests/soak/soak.py --build $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
