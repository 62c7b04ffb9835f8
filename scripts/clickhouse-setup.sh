#!/usr/bin/env bash
# Installs what the ClickHouse tests need (see internal/chtest):
#   - ClickHouse 18.16 from Debian's packages (the tests start their own server on a free
#     loopback port; the package's own service is not used);
#   - with --chdb, current ClickHouse as the npm package chdb (3.4.0, ~540 MB) into the
#     cache directory chtest uses ($JINGYUN_CHDB_DIR or ~/.cache/jingyun-chdb), so that the
#     first test run does not pay for the install. Needs Node.js >= 18 with npm.
# Safe to run again: it installs only what is missing.
set -euo pipefail

if ! command -v clickhouse-server >/dev/null 2>&1 && [ ! -x /usr/sbin/clickhouse-server ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y clickhouse-server clickhouse-client
fi
echo "clickhouse-server: $(dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null || echo '?')"

if [ "${1:-}" = "--chdb" ]; then
	dir="${JINGYUN_CHDB_DIR:-$HOME/.cache/jingyun-chdb}"
	want=3.4.0
	have=$(node -p "require('$dir/node_modules/chdb/package.json').version" 2>/dev/null || true)
	if [ "$have" != "$want" ]; then
		mkdir -p "$dir"
		printf '{"private": true, "description": "chdb for Jingyun'"'"'s tests", "dependencies": {"chdb": "%s"}}\n' "$want" >"$dir/package.json"
		start=$(date +%s)
		(cd "$dir" && npm install --no-audit --no-fund --no-update-notifier)
		echo "chdb $want installed into $dir in $(($(date +%s) - start)) s"
	fi
	echo "chdb: $want in $dir"
fi
