#!/bin/sh
# check-dist.sh rebuilds the console into a temporary directory and compares it with the
# committed dist/: it exits non-zero when they differ (someone changed src/ or the
# dependencies without running `npm run build`). Run `npm ci` first. The build is
# deterministic: file names are content hashes and nothing embeds a time or a path. It also
# runs the unit tests of the pure modules (tests/unit.mjs).
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx tsc --noEmit
JINGYUN_CONSOLE_OUT="$tmp/dist" npx vite build --logLevel warn
if ! diff -r dist "$tmp/dist" >"$tmp/diff.txt" 2>&1; then
	echo "console/dist is stale: run 'npm ci && npm run build' in console/ and commit dist/" >&2
	head -c 2000 "$tmp/diff.txt" | cut -c1-200 >&2
	exit 1
fi
echo "console/dist is up to date"
node scripts/overview-specs.mjs --check
node scripts/spec-types.mjs --check
node tests/unit.mjs
