#!/usr/bin/env bash
# The throughput table's "1,000 hostnames + 100,000 revoked serials on the client CA": serve-target.sh's hostname
# (localhost, the only one the harness sends traffic to) and 999 more, set up the same way (an edge certificate each,
# trusting the bench client CA, a route to the upstream, the mTLS rule) in 10 zones bench0.test … bench9.test
# (h0.bench0.test … h98.bench9.test; an mTLS rule takes at most 100 hostnames). The bench client CA is uploaded (BYO),
# so its revocations come as a CRL uploaded with it (docs/adr/0014-revocation-for-uploaded-cas.md): 100,000 random
# serials, signed with the harness's client CA key, $BENCH_PKI_DIR/client-ca.key (gen-pki.sh names it so; the harness
# does not export its path), that never include the bench client's own serial. With a CRL in force, every request's
# certificate is looked up in it.
#
# Making 999 certificates and the CRL takes tens of seconds on a busy 2-core machine, so both are kept in
# $WRK_TARGETS_CACHE (default /tmp/portcullis-wrk-targets) and made again after a day (the CRL is valid for 7). The
# store is new at every start, so applying the file (1,047 writes: 1,000 edge certificates, the CRL parsed, …) is part
# of each start: give the harness START_TIMEOUT=240 (bench/README.md).
# Usage: serve-1000-hosts-target.sh PORTCULLIS_DIR [extra serve args]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${BENCH_PKI_DIR:?}"
root=$(tree_root "$1"); shift
readonly OTHER_HOSTS=999 HOSTS_PER_ZONE=100 REVOKED=100000
cache=${WRK_TARGETS_CACHE:-/tmp/portcullis-wrk-targets}
mkdir -p "$cache" && cache=$(cd "$cache" && pwd)
dir=$(new_target_dir serve-1000-hosts)

# fresh FILE: FILE exists and was made less than a day ago.
fresh() { [[ -n $(find "$1" -mmin -1440 2>/dev/null) ]]; }

other_host() { echo "h$(($1 % HOSTS_PER_ZONE)).bench$(($1 / HOSTS_PER_ZONE)).test"; }

# The edge certificates of the 999 other hostnames (their own throwaway CA, whatever the harness's PKI).
hosts_dir="$cache/other-hosts-$OTHER_HOSTS"
if ! fresh "$hosts_dir/done"; then
  rm -rf "$hosts_dir.tmp" && mkdir -p "$hosts_dir.tmp"
  hostnames=()
  for ((i = 0; i < OTHER_HOSTS; i++)); do hostnames+=("$(other_host "$i")"); done
  run_ts "$root" other-host-certificates.ts "$hosts_dir.tmp" "${hostnames[@]}"
  touch "$hosts_dir.tmp/done"
  rm -rf "$hosts_dir" && mv "$hosts_dir.tmp" "$hosts_dir"
fi

# The CRL of the bench client CA: REVOKED random 16-byte serials, made with `openssl ca -gencrl` from an index of
# revoked entries (a complete CRL with a cRLNumber, as an upload requires).
ca_sum=$(sha256sum "$BENCH_CLIENT_CA" | cut -c1-16)
crl="$cache/client-ca-$ca_sum-$REVOKED.crl"
if ! fresh "$crl"; then
  work=$(mktemp -d "$cache/crl-XXXXXX")
  client_serial=$(openssl x509 -noout -serial -in "$BENCH_PKI_DIR/client.crt" | cut -d= -f2)
  revoked_on=$(date -u -d '1 day ago' +%y%m%d%H%M%SZ)
  # Twice as many candidates as needed, so that dropping duplicates and the client's serial leaves enough; awk reads
  # them all (head would end the pipe early, which pipefail counts as a failure).
  openssl rand -hex $((REVOKED * 2 * 16)) | fold -w 32 | tr a-f A-F | grep -vx "$client_serial" | sort -u |
    awk -v OFS='\t' -v n="$REVOKED" -v on="$revoked_on" \
      'NR <= n { print "R", "491231235959Z", on, $1, "unknown", "/CN=revoked-" NR }' > "$work/index.txt"
  (($(wc -l < "$work/index.txt") == REVOKED)) || { echo "serve-1000-hosts-target: short index" >&2; exit 1; }
  echo 01 > "$work/crlnumber"
  cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = bench
[ bench ]
database = $work/index.txt
crlnumber = $work/crlnumber
default_md = sha256
default_crl_days = 7
unique_subject = no
CNF
  openssl ca -batch -config "$work/ca.cnf" -gencrl -cert "$BENCH_CLIENT_CA" -keyfile "$BENCH_PKI_DIR/client-ca.key" \
    -out "$work/crl.pem" 2> "$work/openssl.log" || { cat "$work/openssl.log" >&2; exit 1; }
  mv "$work/crl.pem" "$crl"
  rm -rf "$work"
fi

{
  localhost_zone_yaml "$crl"
  localhost_route_yaml
  for ((zone = 0; zone * HOSTS_PER_ZONE < OTHER_HOSTS; zone++)); do
    first=$((zone * HOSTS_PER_ZONE))
    last=$((first + HOSTS_PER_ZONE < OTHER_HOSTS ? first + HOSTS_PER_ZONE : OTHER_HOSTS))
    names=()
    for ((i = first; i < last; i++)); do names+=("$(other_host "$i")"); done
    list=$(IFS=,; echo "${names[*]}")
    echo "      - name: bench$zone.test"
    echo "        edge_certificates:"
    for host in "${names[@]}"; do echo "          - { cert: $hosts_dir/$host.pem, key: $hosts_dir/$host.key }"; done
    echo "        mtls:"
    echo "          - { ca: bench-ca, hostnames: [$list] }"
    echo "        routes:"
    for host in "${names[@]}"; do echo "          - { hostname: $host, path_prefix: /, upstream: $BENCH_UPSTREAM_URL }"; done
    echo "        mtls_rule: [$list]"
  done
} > "$dir/portcullis.yaml"
exec_serve "$root" "$dir" "$@"
