#!/usr/bin/env bash
# Shared set-up for bin/demo and bin/test: idempotent, quick when already done.
#   - Python environment in .venv/ from the locked uv.lock (uv installed from PyPI if absent)
#   - front-end libraries from npm into grassroots/static/vendor/ (served locally, no CDN)
#   - development secrets in var/dev.env (generated once, never committed)
#   - translations compiled, static files collected, database migrated
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

apt_install() {
  # apt_install PKG... : install Debian packages that are missing (root or sudo).
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_python_env() {
  if ! command -v uv >/dev/null 2>&1; then
    log "installing uv"
    python3 -m pip install --quiet --disable-pip-version-check "uv==0.13.8" \
      || python3 -m pip install --quiet --user "uv==0.13.8"
    export PATH="$HOME/.local/bin:$PATH"
  fi
  log "syncing Python environment (.venv/) from uv.lock"
  uv sync --frozen --quiet --python python3.11
}

ensure_assets() {
  local vendor="$ROOT/grassroots/static/vendor"
  if [ ! -f "$vendor/.stamp" ] || [ package-lock.json -nt "$vendor/.stamp" ]; then
    log "installing front-end libraries from npm"
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
    rm -rf "$vendor"
    mkdir -p "$vendor/leaflet/images" "$vendor/echarts" "$vendor/htmx"
    cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$vendor/leaflet/"
    cp node_modules/leaflet/dist/images/* "$vendor/leaflet/images/"
    cp node_modules/echarts/dist/echarts.min.js "$vendor/echarts/"
    cp node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx/"
    touch "$vendor/.stamp"
  fi
}

ensure_dev_env() {
  mkdir -p var
  if [ ! -f var/dev.env ]; then
    log "generating development secrets in var/dev.env"
    python3 - <<'PY'
import base64, secrets
with open("var/dev.env", "w") as f:
    f.write("DEBUG=true\n")
    f.write(f"SECRET_KEY={secrets.token_urlsafe(50)}\n")
    f.write(f"FIELD_ENCRYPTION_KEY={base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}\n")
PY
  fi
}

ensure_translations() {
  command -v msgfmt >/dev/null 2>&1 || apt_install gettext
  local stamp=var/.messages-stamp newest
  newest=$(find grassroots/locale -name '*.po' -newer "$stamp" 2>/dev/null | head -1 || true)
  if [ ! -f "$stamp" ] || [ -n "$newest" ]; then
    log "compiling translations"
    .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
    touch "$stamp"
  fi
}

setup_all() {
  ensure_python_env
  ensure_assets
  ensure_dev_env
  ensure_translations
  .venv/bin/python manage.py collectstatic --noinput -v 0
  .venv/bin/python manage.py migrate --noinput -v 0
}
