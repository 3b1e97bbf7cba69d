# The two commands of the README: `make demo` and `make test`. Each installs what it needs
# (node modules; ZooKeeper when none is reachable; for the tests, kazoo under /usr/bin/python3,
# the peer of the interop specs) before it runs.

.PHONY: demo test deps bench-peers zookeeper kazoo curator kerberos lint typecheck build bench

demo: deps zookeeper
	npm run demo

# Lint (Biome; the layer rules between the rooms, .dependency-cruiser.cjs; the API reports in
# api/; the API reference, typedoc, without a warning), type check, then every jest test (unit and real-server integration). Lint needs no
# build: it reads the sources and declarations it emits to .build/. Jest's own JSON result goes to
# .jest-results.json for .ci/run's summary line. All three run even when an earlier one fails, so
# a formatting slip or a layer violation still reports the test counts; the target fails if any
# of them did.
test: deps bench-peers zookeeper kazoo curator kerberos
	@status=0; \
	npm run lint || status=1; \
	npm run typecheck || status=1; \
	npx jest --json --outputFile=.jest-results.json || status=1; \
	exit $$status

deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The benchmark's npm peers (bench/package.json: node-zookeeper-client, the native zookeeper binding),
# never dependencies of zookit: for `npm run bench` and its CI smoke (spec/bench/smoke.spec.ts).
bench-peers: bench/node_modules/.package-lock.json

bench/node_modules/.package-lock.json: bench/package.json bench/package-lock.json
	npm --prefix bench ci --no-audit --no-fund

zookeeper:
	bash scripts/ensure-zookeeper.sh

# kazoo (Debian's python3-kazoo) for the specs that run kazoo programs beside zookit clients.
kazoo:
	bash scripts/ensure-kazoo.sh

# Curator 5.4 (Debian's libcurator-*-java jars), the Java peer of the recipe benchmark (bench/recipes/)
# and of its CI smoke.
curator:
	bash scripts/ensure-curator.sh

# MIT Kerberos (a throw-away KDC per test) and the optional kerberos addon, for the GSSAPI specs.
kerberos: deps
	bash scripts/ensure-kerberos.sh

build: deps
	npm run build

# The full benchmark (CI runs only its smoke, spec/bench/smoke.spec.ts): writes bench/RESULTS.md.
bench: deps bench-peers zookeeper kazoo curator
	npm run bench
