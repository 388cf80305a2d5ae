# jobstatus — see README.md. Every target installs what it needs on a Debian machine.
.PHONY: run test test-unit test-redis test-topologies test-tooling test-clients fuzz bench profile retains microbench topology topology-down build clean

run:
	scripts/run.sh

test:
	scripts/test.sh

# One part of `make test` at a time: the unit tests (no process), then the end-to-end groups by
# what they need (Tests/EndToEndTests/Support/SuiteGroups.swift).
test-unit:
	scripts/test.sh --skip EndToEndTests

test-redis:
	scripts/test.sh --filter EndToEndTests.RedisOnly

test-topologies:
	scripts/test.sh --filter EndToEndTests.Topologies

test-tooling:
	scripts/test.sh --filter EndToEndTests.Tooling

# The generated clients are current and complete; the Python client against live fronts.
test-clients:
	scripts/install-deps.sh
	swift build --build-tests
	scripts/test-clients.sh

fuzz:
	scripts/install-deps.sh
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} scripts/fuzz.sh

bench:
	scripts/bench.sh

# A perf profile of the 303 poll under load: the report's top (scripts/bench/profile.py).
profile:
	scripts/bench.sh --profile

# Retains and releases per 303 poll, and their callers, counted under gdb (scripts/bench/retains.py).
retains:
	scripts/bench.sh --retains

topology:
	scripts/topology.sh up

topology-down:
	scripts/topology.sh down

microbench:
	scripts/install-deps.sh
	cd Benchmarks && swift package --disable-sandbox benchmark

build:
	scripts/install-deps.sh
	swift build -c release --product jobstatus

clean:
	rm -rf .build .run
