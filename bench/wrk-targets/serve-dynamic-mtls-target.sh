#!/usr/bin/env bash
# The throughput table's "API with dynamic mTLS + policy rate limit + analytics" (Tyk's model): on the one hostname of
# serve-target.sh (localhost, the bench client CA uploaded), `/` is an API with `auth: mtls_dynamic` instead of a route,
# a policy gives access to it with a rate limit no run reaches (10^9 requests a second), and a key bound to the bench
# client's certificate carries that policy. The API's authentication is what refuses a client without a keyed
# certificate, so there is no mTLS rule (as in issue 6's bench target). Analytics are always on in `serve`.
#
# Keys cannot be written in the configuration file (docs/reference/config-file.md, "Keys are not in the file"), and the
# harness starts measuring as soon as BENCH_PORT accepts connections, so the gateway is started twice on one store:
# first on ports of its own, where the key is made through the admin API, then on BENCH_PORT, already holding the key.
# The client certificate is $BENCH_PKI_DIR/client.crt (the harness's gen-pki.sh names it so).
# Usage: serve-dynamic-mtls-target.sh PORTCULLIS_DIR [extra serve args]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${BENCH_PKI_DIR:?}"
root=$(tree_root "$1"); shift
dir=$(new_target_dir serve-dynamic-mtls)
{
  localhost_zone_yaml
  cat <<YAML
        apis:
          - name: bench-api
            hostname: localhost
            listen_path: /
            upstream_url: $BENCH_UPSTREAM_URL
            auth: { mode: mtls_dynamic }
    policies:
      - name: bench-policy
        access_rights:
          - api: bench-api
        rate_limit: { rate: 1000000000, per: 1 }
YAML
} > "$dir/portcullis.yaml"

# First start: the configuration is applied, the admin API answers on a port of its own, nothing on BENCH_PORT.
node "$root/dist/main.js" serve --data-dir "$dir/data" --config "$dir/portcullis.yaml" \
  --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --log-level info > "$dir/setup.log" 2>&1 &
setup_pid=$!
trap 'kill "$setup_pid" 2>/dev/null || true' EXIT
admin=""
for ((i = 0; i < 600; i++)); do
  admin=$(grep -o '"Server listening at http://127\.0\.0\.1:[0-9]*' "$dir/setup.log" | head -1 | cut -d' ' -f4 || true)
  [[ -n $admin ]] && break
  kill -0 "$setup_pid" 2>/dev/null || { cat "$dir/setup.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $admin ]] || { echo "serve-dynamic-mtls-target: the set-up gateway did not start" >&2; exit 1; }
run_ts "$root" bind-bench-key.ts "$admin" "$dir/data" "$BENCH_PKI_DIR/client.crt" bench bench-policy \
  > "$dir/key-id"
kill -TERM "$setup_pid"
wait "$setup_pid" || true
trap - EXIT

exec_serve "$root" "$dir" "$@"
