# Shared by the wrk targets (source it, do not run it): the harness's BENCH_* variables, a
# scratch folder, and the `serve` command line every serve row uses, so the rows differ only in
# their configuration.
set -euo pipefail

: "${BENCH_PORT:?run this through the harness (run-target.sh), which exports BENCH_*}"
: "${BENCH_SERVER_CERT:?}" "${BENCH_SERVER_KEY:?}" "${BENCH_CLIENT_CA:?}" "${BENCH_UPSTREAM_URL:?}"

# The Portcullis tree, as an absolute path (the harness runs the target from its own folder).
tree_root() { (cd "$1" && pwd); }

# Runs a TypeScript helper of this folder with the tree's tsx (resolved from the tree, not the harness's folder).
run_ts() { # ROOT SCRIPT [args]
  local root=$1 script=$2
  shift 2
  (cd "$root" && node --import tsx "bench/wrk-targets/$script" "$@")
}

# A fresh folder per start: the store, the configuration and anything generated for it.
new_target_dir() { mktemp -d "/tmp/pc-$1-XXXXXX"; }

# Replaces the shell with the gateway (the harness signals and CPU-accounts its session), serving
# BENCH_PORT with the configuration DIR/portcullis.yaml and the store in DIR/data.
exec_serve() { # ROOT DIR [extra serve args]
  local root=$1 dir=$2
  shift 2
  exec node "$root/dist/main.js" serve --data-dir "$dir/data" --config "$dir/portcullis.yaml" \
    --listen "127.0.0.1:$BENCH_PORT" --admin-listen 127.0.0.1:0 --log-level warn "$@"
}

# The start of every serve row's configuration: the bench account with the harness's client CA uploaded (and, when
# given, the CRL in force for it), and the zone `localhost` (the harness's SNI) with the harness's edge certificate,
# trusting that CA. The caller writes the rest of the zone (and any more zones) after it.
localhost_zone_yaml() { # [CRL]
  cat <<YAML
accounts:
  - name: bench
    cas:
      - name: bench-ca
        file: $BENCH_CLIENT_CA
YAML
  if [[ $# -gt 0 ]]; then
    cat <<YAML
        revocation:
          crl: $1
YAML
  fi
  cat <<YAML
    zones:
      - name: localhost
        edge_certificates:
          - cert: $BENCH_SERVER_CERT
            key: $BENCH_SERVER_KEY
        mtls:
          - ca: bench-ca
            hostnames: [localhost]
YAML
}

# serve-target.sh's zone body: a route from localhost to the harness's upstream, and the mTLS rule.
localhost_route_yaml() {
  cat <<YAML
        routes:
          - hostname: localhost
            path_prefix: /
            upstream: $BENCH_UPSTREAM_URL
        mtls_rule: [localhost]
YAML
}
