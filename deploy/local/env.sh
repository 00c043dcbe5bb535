# shellcheck shell=bash
# Ports, URLs and paths of the local (no-Docker) stack, defined once.
# Sourced by stack.sh, test.sh and anything else that needs them. Every value can be
# overridden from the caller's environment (VAR=... make up). Safe to source repeatedly.

WASPADA_ROOT="${WASPADA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
WASPADA_LOCAL="${WASPADA_LOCAL:-$WASPADA_ROOT/.local}"

# --- infrastructure ---------------------------------------------------------------
WASPADA_HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-19092}"                        # clients: SASL/SCRAM (+ TLS with KAFKA_TLS=1)
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"  # KRaft controller
PG_PORT="${PG_PORT:-15432}"

# --- Kafka identities (local profile only; docs/security.md, "The Kafka door") ----------------
# Every client authenticates with SCRAM-SHA-512 and is authorised by ACLs. The local profile's
# credentials are demo credentials, like the demo API keys: user NAME has the password demo-NAME
# (waspada_shared.kafka_access.demo_password), created by stack.sh at `make up`. `admin` is the super
# user: the broker itself and the tooling (tests, bench, backtest, topic creation).
KAFKA_TLS="${KAFKA_TLS:-0}"   # 1: the client listener is SASL_SSL, with a CA generated under .local/kafka/tls
KAFKA_ADMIN_USER=admin
KAFKA_ADMIN_PASSWORD="${KAFKA_ADMIN_PASSWORD:-demo-admin}"
KAFKA_CONTROLLER_PASSWORD="${KAFKA_CONTROLLER_PASSWORD:-demo-controller}"   # controller listener (PLAIN)
KAFKA_TLS_DIR="${KAFKA_TLS_DIR:-$WASPADA_LOCAL/kafka/tls}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-19090}"

# --- services (HTTP) --------------------------------------------------------------
INTAKE_PORT="${INTAKE_PORT:-8080}"
SCORING_PORT="${SCORING_PORT:-8081}"
NOTIFY_PORT="${NOTIFY_PORT:-8082}"
RECEIVER_PORT="${RECEIVER_PORT:-8089}"   # demo webhook receiver (local profile only)
CONSOLE_PORT="${CONSOLE_PORT:-8083}"     # web console for officials

# --- what every service gets (pydantic-settings, WASPADA_ prefix) ------------------
# Only these are exported: any WASPADA_* variable in a service's environment may be read by
# its settings. stack.sh adds WASPADA_HTTP_HOST/WASPADA_HTTP_PORT per service.
export WASPADA_PROFILE="${WASPADA_PROFILE:-local}"
export WASPADA_KAFKA_BOOTSTRAP="${WASPADA_KAFKA_BOOTSTRAP:-$WASPADA_HOST:$KAFKA_PORT}"
# Tooling connects as the super user; stack.sh gives each service its own principal instead.
if [[ "$KAFKA_TLS" == 1 ]]; then
  export WASPADA_KAFKA_SECURITY_PROTOCOL="${WASPADA_KAFKA_SECURITY_PROTOCOL:-SASL_SSL}"
  export WASPADA_KAFKA_SSL_CAFILE="${WASPADA_KAFKA_SSL_CAFILE:-$KAFKA_TLS_DIR/ca.pem}"
else
  export WASPADA_KAFKA_SECURITY_PROTOCOL="${WASPADA_KAFKA_SECURITY_PROTOCOL:-SASL_PLAINTEXT}"
fi
export WASPADA_KAFKA_SASL_USERNAME="${WASPADA_KAFKA_SASL_USERNAME:-$KAFKA_ADMIN_USER}"
export WASPADA_KAFKA_SASL_PASSWORD="${WASPADA_KAFKA_SASL_PASSWORD:-$KAFKA_ADMIN_PASSWORD}"
export WASPADA_DATABASE_URL="${WASPADA_DATABASE_URL:-postgresql://waspada@$WASPADA_HOST:$PG_PORT/waspada}"
export WASPADA_TOPIC_PREFIX="${WASPADA_TOPIC_PREFIX:-}"
export WASPADA_DEMO_WEBHOOK_URL="${WASPADA_DEMO_WEBHOOK_URL:-http://$WASPADA_HOST:$RECEIVER_PORT/hook}"
# Where the console (and the demo script) find the APIs, and where the console is.
export WASPADA_INTAKE_URL="${WASPADA_INTAKE_URL:-http://$WASPADA_HOST:$INTAKE_PORT}"
export WASPADA_NOTIFY_URL="${WASPADA_NOTIFY_URL:-http://$WASPADA_HOST:$NOTIFY_PORT}"
export WASPADA_RECEIVER_URL="${WASPADA_RECEIVER_URL:-http://$WASPADA_HOST:$RECEIVER_PORT}"
export WASPADA_CONSOLE_URL="${WASPADA_CONSOLE_URL:-http://$WASPADA_HOST:$CONSOLE_PORT}"
# The demo receiver keeps what it got here, so a restart does not forget earlier deliveries.
export WASPADA_RECEIVER_STORE="${WASPADA_RECEIVER_STORE:-$WASPADA_LOCAL/receiver/received.jsonl}"

# --- tools ------------------------------------------------------------------------
WASPADA_VENV="${WASPADA_VENV:-$WASPADA_ROOT/.venv}"
WASPADA_PYTHON="${WASPADA_PYTHON:-$WASPADA_VENV/bin/python}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_OS_USER="${PG_OS_USER:-waspada}"   # initdb/postgres refuse to run as root
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms384m -Xmx384m}"
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}"
