#!/usr/bin/env bash
# Installs Portcullis the way a user does — `npm pack`, then `npm install -g` of the tarball into a
# temporary prefix — starts the installed `portcullis serve`, calls its admin API with the token it
# wrote, and checks deploy/portcullis.service with `systemd-analyze verify` against that install.
# Run by .ci/run after the build; needs the npm registry (the package's dependencies are installed).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

npm pack --silent --pack-destination "$work" >/dev/null
npm install -g --prefix "$work/prefix" --no-audit --no-fund --loglevel=error "$work"/portcullis-*.tgz
bin="$work/prefix/bin/portcullis"
echo "installed: $("$bin" --version)"

admin_port=$(free_port)
gateway_port=$(free_port)
"$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$gateway_port" --admin-listen "127.0.0.1:$admin_port" \
  >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 120); do
  [ -s "$work/data/admin-token" ] && curl -sf -o /dev/null "http://127.0.0.1:$admin_port/client/v4/openapi.json" && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log"; echo "the installed serve exited" >&2; exit 1; }
  sleep 0.5
done
token=$(cat "$work/data/admin-token")
answer=$(curl -sf -H "authorization: Bearer $token" "http://127.0.0.1:$admin_port/client/v4/accounts")
case "$answer" in
  *'"success":true'*) echo "the installed serve answers its admin API" ;;
  *) echo "unexpected answer from the installed serve: $answer" >&2; cat "$work/serve.log"; exit 1 ;;
esac

# The unit as shipped, with ExecStart pointing at this install instead of /usr/local/bin.
sed "s#/usr/local/bin/portcullis#$bin#" deploy/portcullis.service >"$work/portcullis.service"
# verify exits 0 after "…, ignoring" warnings: any output at all fails the check.
if ! verify=$(systemd-analyze verify "$work/portcullis.service" 2>&1) || [ -n "$verify" ]; then
  echo "systemd-analyze verify deploy/portcullis.service:" >&2
  echo "$verify" >&2
  exit 1
fi
echo "deploy/portcullis.service verified"
