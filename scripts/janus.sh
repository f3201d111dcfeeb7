#!/usr/bin/env bash
# Janus Gateway for development and tests: `scripts/janus.sh start|stop|status`.
#
# Runs Debian's `janus` (apt-get install janus) as a daemon with the configuration in
# deploy/janus/ (HTTP API on 127.0.0.1:8088, videoroom plugin only). The configuration is
# copied to var/janus/conf first, with `admin_key` set from JANUS_ADMIN_KEY when that is
# given; the log and pid file are var/janus/janus.log and var/janus/janus.pid.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_DIR="$PWD/var/janus"
CONF_DIR="$RUN_DIR/conf"
PID_FILE="$RUN_DIR/janus.pid"
LOG_FILE="$RUN_DIR/janus.log"
API="http://127.0.0.1:8088/janus/info"

running() {
    [ -s "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

answering() {
    python3 - "$API" <<'PY'
import sys
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=1) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError:
    sys.exit(1)
PY
}

start() {
    if running; then
        echo "janus: already running (pid $(cat "$PID_FILE"))"
        return 0
    fi
    if answering; then
        # Another checkout's Janus (or a system one) holds the port: use it.
        echo "janus: already answering on http://127.0.0.1:8088/janus (started elsewhere); using it"
        return 0
    fi
    if ! command -v janus >/dev/null; then
        echo "janus: not installed (Debian/Ubuntu: apt-get install janus)" >&2
        return 1
    fi
    mkdir -p "$CONF_DIR"
    cp deploy/janus/*.jcfg "$CONF_DIR/"
    if [ -n "${JANUS_ADMIN_KEY:-}" ]; then
        # Only the portal, which sends the same key, may create rooms.
        sed -i "s|^general: {|general: {\n\tadmin_key = \"${JANUS_ADMIN_KEY}\"|" \
            "$CONF_DIR/janus.plugin.videoroom.jcfg"
    fi
    chmod 600 "$CONF_DIR"/*.jcfg
    rm -f "$PID_FILE"
    if ! janus --daemon --disable-colors --configs-folder="$CONF_DIR" \
        --config="$CONF_DIR/janus.jcfg" --pid-file="$PID_FILE" --log-file="$LOG_FILE" \
        --cwd-path="$RUN_DIR" >/dev/null; then
        echo "janus: failed to start; see $LOG_FILE" >&2
        return 1
    fi
    for _ in $(seq 50); do
        if answering; then
            echo "janus: running on http://127.0.0.1:8088/janus (log: var/janus/janus.log)"
            return 0
        fi
        sleep 0.2
    done
    echo "janus: did not answer on $API; see $LOG_FILE" >&2
    return 1
}

stop() {
    if ! running; then
        echo "janus: not running"
        rm -f "$PID_FILE"
        return 0
    fi
    local pid
    pid=$(cat "$PID_FILE")
    kill "$pid"
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$PID_FILE"
    echo "janus: stopped"
}

status() {
    if running && answering; then
        echo "janus: running (pid $(cat "$PID_FILE")) on http://127.0.0.1:8088/janus"
    else
        echo "janus: not running"
        return 3
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
