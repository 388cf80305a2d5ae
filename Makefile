# jobstatus — see README.md. Every target installs what it needs on a Debian machine.
.PHONY: run test build clean

run:
	scripts/run.sh

test:
	scripts/test.sh

build:
	scripts/install-deps.sh
	swift build -c release --product jobstatus

clean:
	rm -rf .build .run
