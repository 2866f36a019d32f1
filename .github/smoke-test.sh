#!/usr/bin/env bash
# Smoke test of a deployed identityd at the base URL $1: /readyz answers,
# discovery names this URL as its issuer, and the client CLIENT_ID /
# CLIENT_SECRET (environment) gets an access token that introspects as
# active. Needs curl and jq. Exit status 0 only when all of it holds.
set -euo pipefail

base="${1%/}"
if [ -z "$base" ] || [ -z "${CLIENT_ID:-}" ] || [ -z "${CLIENT_SECRET:-}" ]; then
  echo "usage: CLIENT_ID=... CLIENT_SECRET=... $0 BASE_URL" >&2
  exit 2
fi
curl_() { curl --fail-with-body --silent --show-error --max-time 10 "$@"; }

curl_ "$base/readyz" >/dev/null
echo "ok: $base/readyz"

discovery="$(curl_ "$base/.well-known/openid-configuration")"
issuer="$(jq -er .issuer <<<"$discovery")"
if [ "$issuer" != "$base" ]; then
  echo "discovery names the issuer $issuer, not $base: check ISSUER_URL" >&2
  exit 1
fi
token_endpoint="$(jq -er .token_endpoint <<<"$discovery")"
introspection_endpoint="$(jq -er .introspection_endpoint <<<"$discovery")"
jq -e '.grant_types_supported | index("client_credentials")' <<<"$discovery" >/dev/null
echo "ok: discovery (issuer $issuer)"

token="$(curl_ -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$token_endpoint" | jq -er .access_token)"
if [ "${GITHUB_ACTIONS:-}" = "true" ]; then echo "::add-mask::$token"; fi
active="$(curl_ -u "$CLIENT_ID:$CLIENT_SECRET" --data-urlencode "token=$token" "$introspection_endpoint" | jq -er .active)"
if [ "$active" != "true" ]; then
  echo "a token just issued does not introspect as active" >&2
  exit 1
fi
echo "ok: a token issued at $token_endpoint introspects as active"
