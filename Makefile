# jobstatus — see README.md. Every target installs what it needs on a Debian machine.
.PHONY: run test bench microbench build clean

run:
	scripts/run.sh

test:
	scripts/test.sh

bench:
	scripts/bench.sh

microbench:
	scripts/install-deps.sh
	cd Benchmarks && swift package --disable-sandbox benchmark

build:
	scripts/install-deps.sh
	swift build -c release --product jobstatus

clean:
	rm -rf .build .run
