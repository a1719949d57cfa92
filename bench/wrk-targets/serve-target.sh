#!/usr/bin/env bash
# portcullis serve as a target of a wrk-based run-target.sh harness (BENCH_* variables, see common.sh): one
# hostname (localhost, the harness's SNI), the bench client CA uploaded (BYO), a route to the upstream and the mTLS
# rule. Usage: serve-target.sh PORTCULLIS_DIR [extra serve args]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
root=$(tree_root "$1"); shift
dir=$(new_target_dir serve)
{ localhost_zone_yaml; localhost_route_yaml; } > "$dir/portcullis.yaml"
exec_serve "$root" "$dir" "$@"
