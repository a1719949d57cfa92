#!/usr/bin/env bash
# portcullis serve as a target of a wrk-based run-target.sh harness (BENCH_* variables, see common.sh): one
# hostname (localhost, the harness's SNI), the bench client CA uploaded (BYO), a route to the upstream and the mTLS
# rule. Usage: serve-target.sh PORTCULLIS_DIR [extra serve args]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
root=$(tree_root "$1"); shift
dir=$(new_target_dir serve)
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
exec_serve "$root" "$dir" "$@"
