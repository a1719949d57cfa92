#!/usr/bin/env bash
# portcullis serve as a target of a wrk-based run-target.sh harness (BENCH_* variables below): one hostname (localhost, the harness's SNI), the bench client CA
# uploaded (BYO), a route to the upstream and the mTLS rule. Usage: serve-target.sh PORTCULLIS_DIR [extra serve args]
set -euo pipefail
root=$1; shift
dir=$(mktemp -d /tmp/pc-serve-XXXXXX)
cat > "$dir/portcullis.yaml" <<YAML
accounts:
  - name: bench
    cas:
      - name: bench-ca
        file: $BENCH_CLIENT_CA
    zones:
      - name: localhost
        edge_certificates:
          - cert: $BENCH_SERVER_CERT
            key: $BENCH_SERVER_KEY
        mtls:
          - ca: bench-ca
            hostnames: [localhost]
        routes:
          - hostname: localhost
            path_prefix: /
            upstream: $BENCH_UPSTREAM_URL
        mtls_rule: [localhost]
YAML
exec node "$root/dist/main.js" serve --data-dir "$dir/data" --config "$dir/portcullis.yaml" \
  --listen "127.0.0.1:$BENCH_PORT" --admin-listen 127.0.0.1:0 --log-level warn "$@"
