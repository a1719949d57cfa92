#!/usr/bin/env bash
# The serve target (serve-target.sh: one hostname, the bench client CA uploaded, a route, the mTLS rule) plus 20 custom
# `block` rules that the harness's requests do not match, so every request evaluates all of them after the mTLS rule:
# the throughput table's "same + 20 custom rules that do not match". They are the realistic rules of issue 5's bench
# (bench/targets/gateway-setup.ts: paths, a regex, IP lists, headers, cookies, query, TLS and certificate fields) less
# `http.user_agent eq ""`, which wrk's requests (they carry no User-Agent) would match, plus two path rules.
# Usage: serve-rules-target.sh PORTCULLIS_DIR [extra serve args]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
root=$(tree_root "$1"); shift
dir=$(new_target_dir serve-rules)
{
  localhost_zone_yaml
  localhost_route_yaml
  cat <<YAML
        rules:
          - { action: block, expression: 'http.request.uri.path matches "^/(wp-admin|wp-login[.]php|xmlrpc[.]php|[.]env|[.]git/)"' }
          - { action: block, expression: 'starts_with(http.request.uri.path, "/internal/") and not ip.src in {10.0.0.0/8}' }
          - { action: block, expression: 'http.request.uri.path wildcard "/admin/*" and not cf.tls_client_auth.cert_subject_dn contains "OU=Admins"' }
          - { action: block, expression: 'http.request.uri.path in {"/server-status" "/debug/pprof" "/actuator/env"}' }
          - { action: block, expression: 'http.request.uri.path contains "/../" or http.request.uri.path contains "%2e%2e"' }
          - { action: block, expression: 'http.request.method in {"TRACE" "TRACK" "CONNECT"}' }
          - { action: block, expression: 'http.request.method in {"POST" "PUT" "PATCH"} and not any(http.request.headers["content-type"][*] contains "json")' }
          - { action: block, expression: 'lower(http.user_agent) contains "sqlmap" or lower(http.user_agent) contains "nikto"' }
          - { action: block, expression: 'http.user_agent in {"masscan/1.3" "zgrab/0.x" "python-requests/2.31.0"}' }
          - { action: block, expression: 'ip.src in {192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 2001:db8::/32}' }
          - { action: block, expression: 'ip.src in {45.155.205.0/24 185.220.100.0/22 91.240.118.0/24 141.98.11.0/24 5.188.206.0/24}' }
          - { action: block, expression: 'any(http.request.headers["x-api-key"][*] in {"revoked-key-1" "revoked-key-2" "revoked-key-3"})' }
          - { action: block, expression: 'any(lower(http.request.headers.names[*])[*] == "x-debug")' }
          - { action: block, expression: 'http.cookie contains "debug=1"' }
          - { action: block, expression: 'len(http.request.uri.query) > 2048' }
          - { action: block, expression: 'lower(http.request.uri.query) contains "union select"' }
          - { action: block, expression: 'http.referer ne "" and not http.referer wildcard "https://*.example.com/*"' }
          - { action: block, expression: 'cf.tls_version in {"TLSv1" "TLSv1.1"}' }
          - { action: block, expression: 'cf.tls_client_auth.cert_verified and cf.tls_client_auth.cert_subject_dn contains "OU=Contractors"' }
          - { action: block, expression: 'cf.tls_client_auth.cert_serial in {"00AA" "00BB" "527E0F20A20EA2A4146C78390F34CE7AF0878CA5"}' }
YAML
} > "$dir/portcullis.yaml"
exec_serve "$root" "$dir" "$@"
