# shellcheck shell=bash
# schemathesis (PyPI) against the backend API's own OpenAPI document, with every check on:
# no 5xx, status codes, content types, headers and bodies as documented, negative data refused,
# positive data accepted, Allow on 405, auth not ignored. Bounded in examples per operation and
# in wall time. Source after scripts/lib/server.sh, then: gh_schemathesis sqlite|postgres
#
# Inputs (optional): GH_ST_VENV (default tests/schemathesis/.venv), GH_ST_EXAMPLES (examples per
# operation, default 20), GH_ST_MAX_TIME (seconds before the run is cut, default 300), GH_LOG_DIR.

GH_ST_VERSION=4.32.5
GH_ST_VENV=${GH_ST_VENV:-$GH_ROOT/tests/schemathesis/.venv}

# Installs schemathesis into its own venv (once).
gh_schemathesis_install() {
  if [[ -x $GH_ST_VENV/bin/schemathesis ]] && "$GH_ST_VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$GH_ST_VERSION"; then
    return 0
  fi
  [[ -x $GH_ST_VENV/bin/python ]] || python3 -m venv "$GH_ST_VENV" || return 1
  "$GH_ST_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$GH_ST_VERSION"
}

# gh_schemathesis BACKEND: starts a server on BACKEND, runs schemathesis, stops the server.
gh_schemathesis() {
  local backend=${1:?backend (sqlite|postgres) required} key rc
  gh_schemathesis_install || return 1
  # schemathesis sends many calls a second with one key: the per-key rate limit is lifted, as an
  # operator would for a load test (it is tested on its own in tests/api).
  export GATEHOUSE_BACKEND_API_RATE_LIMIT=0
  gh_server_start "$backend" || { gh_server_stop; unset GATEHOUSE_BACKEND_API_RATE_LIMIT; return 1; }
  unset GATEHOUSE_BACKEND_API_RATE_LIMIT
  key=$(gh_cli api-key create --name "schemathesis-$backend" | gh_json_get api_key) || { gh_server_stop; return 1; }
  mkdir -p "$GH_LOG_DIR"
  timeout --kill-after=10 "${GH_ST_MAX_TIME:-300}" \
    "$GH_ST_VENV/bin/schemathesis" --config-file "$GH_ROOT/tests/schemathesis/schemathesis.toml" run "$GATEHOUSE_URL/api/backend/v1/openapi.json" \
    --checks all \
    --max-examples "${GH_ST_EXAMPLES:-20}" \
    --seed 1 \
    --workers 1 \
    --request-timeout 10 \
    --header "Authorization: Bearer $key" \
    --generation-database none \
    --no-color \
    --report junit --report-junit-path "$GH_LOG_DIR/schemathesis-$backend.xml"
  rc=$?
  gh_server_stop
  return "$rc"
}
