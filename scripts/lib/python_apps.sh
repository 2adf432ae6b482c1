# shellcheck shell=bash
# The gatehouse-auth package (python/) and the Python example apps (examples/, plus the two
# PropelAuth-guide patterns in tests/apps/) against a fresh Gatehouse on one backend.
# Sourced by scripts/test after scripts/lib/server.sh; uses ROOT, OUT_DIR, CHROMIUM and
# tests/browser/node_modules (scripts/test's "npm deps" step).
#
#   step "..." python_apps_e2e sqlite     # ruff, mypy --strict, the package's pytest suite
#   step "..." python_apps_e2e postgres   # the package's pytest suite + every example in Chromium
#
# The example apps take about three minutes, so they run on one backend only:
# GH_PY_APPS_BACKENDS (default "postgres") lists the backends that run them.

APPS_VENV=$ROOT/tests/apps/.venv

# Installs tests/apps/requirements.txt and ./python (editable) into tests/apps/.venv.
# Skipped when neither file changed since the last install (pip's own check takes ~20 s).
python_apps_setup() {
  local stamp=$APPS_VENV/.installed want
  want=$(cat "$ROOT/tests/apps/requirements.txt" "$ROOT/python/pyproject.toml" | sha256sum | cut -d' ' -f1)
  [[ -x $APPS_VENV/bin/python ]] || python3 -m venv "$APPS_VENV"
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    return 0
  fi
  "$APPS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$ROOT/tests/apps/requirements.txt" -e "$ROOT/python"
  echo "$want" >"$stamp"
}

python_apps_e2e() {
  local backend=$1 rc=0
  python_apps_setup
  if [[ $backend == sqlite ]]; then
    (cd "$ROOT" && "$APPS_VENV/bin/ruff" check python examples tests/apps &&
      "$APPS_VENV/bin/ruff" format --check python examples tests/apps) || rc=1
    (cd "$ROOT/python" && "$APPS_VENV/bin/mypy") || rc=1
  fi
  gh_server_start "$backend" || {
    gh_server_stop
    return 1
  }
  export GATEHOUSE_TEST_LABEL=$backend CHROMIUM_PATH=$CHROMIUM OUTPUT_DIR=$OUT_DIR \
    GH_SDK_BACKEND="python-apps-$backend" # only names the HTTPS guide server's log (tests/output/server-sdk-*.log)
  "$APPS_VENV/bin/python" -m pytest "$ROOT/python/tests" -v -rfEs -p no:cacheprovider \
    --junitxml="$OUT_DIR/pytest-gatehouse-auth-$backend.xml" || rc=1
  if [[ " ${GH_PY_APPS_BACKENDS:-postgres} " == *" $backend "* ]]; then
    "$APPS_VENV/bin/python" -m pytest "$ROOT/tests/apps" -v -rfEs -p no:cacheprovider \
      --junitxml="$OUT_DIR/pytest-python-apps-$backend.xml" || rc=1
  fi
  gh_server_stop
  return "$rc"
}
