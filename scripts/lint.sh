#!/usr/bin/env bash
# npm run lint: Biome (format and lint), the layer rules between the rooms (dependency-cruiser,
# .dependency-cruiser.cjs), the API reports of the public entries (api/) and the API reference
# (npm run docs: typedoc, typedoc.json, which fails on any warning, e.g. a broken {@link}). All
# four run even when one fails, so one run shows every problem; it fails if any of them did.
# Needs only `npm ci`: nothing is built first.
set -u
cd "$(dirname "$0")/.."
status=0

npx biome ci . || status=1

if ! npm run -s lint:layers; then
  echo 'lint:layers: each rule says why it exists in .dependency-cruiser.cjs (or add --output-type err-long).' >&2
  status=1
fi

npm run -s api:check || status=1

npm run -s docs -- --logLevel Warn || status=1

exit "$status"
