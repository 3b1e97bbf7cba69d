# The two commands of the README: `make demo` and `make test`. Each installs what it needs
# (node modules; ZooKeeper when none is reachable) before it runs.

.PHONY: demo test deps zookeeper lint typecheck build bench

demo: deps zookeeper
	npm run demo

# Formatter and linter, type check, then every jest test (unit and real-server integration).
# Jest's own JSON result goes to .jest-results.json for .ci/run's summary line.
test: deps zookeeper
	npm run lint
	npm run typecheck
	npx jest --json --outputFile=.jest-results.json

deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

zookeeper:
	bash scripts/ensure-zookeeper.sh

build: deps
	npm run build

# Benchmarks (not part of CI): installs the bench-only peers on first use, writes bench/RESULTS.md.
bench: deps zookeeper
	npm run bench
