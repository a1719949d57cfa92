#!/usr/bin/env bash
# portcullis proxy as a target of a wrk-based run-target.sh harness (BENCH_* variables, see common.sh): the
# throughput table's `portcullis proxy` row. The harness's server certificate, its client CA as the only trust anchor
# for client certificates (required and verified), every request to the upstream with the default identity header
# (xfcc). Usage: proxy-target.sh PORTCULLIS_DIR [extra proxy args, e.g. --workers 2]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
root=$(tree_root "$1"); shift
exec node "$root/dist/main.js" proxy --listen "127.0.0.1:$BENCH_PORT" --cert "$BENCH_SERVER_CERT" \
  --key "$BENCH_SERVER_KEY" --client-ca "$BENCH_CLIENT_CA" --upstream "$BENCH_UPSTREAM_URL" --log-level warn "$@"
