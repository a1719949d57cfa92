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
