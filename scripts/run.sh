#!/usr/bin/env bash
# Serve HealthLink for development: web, Celery worker and Celery beat from the Procfile.
# `make run` calls this after migrate, seed_demo and collectstatic. Ctrl-C stops all three;
# the embedded PostgreSQL and Redis (if used) keep running until `make stop`.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PORT="${PORT:-8000}"
export PATH="$PWD/$VENV/bin:$PATH" PORT
export DEBUG="${DEBUG:-1}"
# Links in emails (verification, password reset) must point at this server.
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"

# Video calls need Janus Gateway (apt-get install janus); it keeps running until
# `make stop` or `scripts/janus.sh stop`. Without it the call pages say video is unavailable.
if command -v janus >/dev/null; then
    scripts/janus.sh start || echo "Janus did not start: video calls will be unavailable"
else
    echo "Janus is not installed (apt-get install janus): video calls will be unavailable"
fi

echo "HealthLink: http://127.0.0.1:${PORT}/  (web, worker and beat below; Ctrl-C stops them)"
# honcho gives the first Procfile entry (web) PORT itself and the others PORT+100, PORT+200.
exec honcho start --procfile Procfile --port "$PORT"
