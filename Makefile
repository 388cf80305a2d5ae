# jobstatus — see README.md. Every target installs what it needs on a Debian machine.
.PHONY: run test fuzz bench microbench topology topology-down build clean

run:
	scripts/run.sh

test:
	scripts/test.sh

fuzz:
	scripts/install-deps.sh
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} scripts/fuzz.sh

bench:
	scripts/bench.sh

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
