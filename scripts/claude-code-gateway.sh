#!/usr/bin/env bash
# Claude Code through the clawback gateway to the emulator, and its metered cost checked against what the emulator
# billed. Installs Claude Code into a temporary folder (never into the project), starts `clawback emulate` and
# `clawback gateway --upstream <emulator>` on free ports with a temporary store, runs `claude -p` twice (a fresh
# session and `--continue`, so the prompt cache is written then read), and checks that
#   1. Claude Code answered both times through the gateway,
#   2. every request the emulator billed has a gateway record with the same request id and exactly the same cost
#      (pico-dollars), and every metered /v1/messages record is in the ledger,
#   3. the records carry Claude Code's session id (x-claude-code-session-id) and the key's last four characters only.
# Needs the npm registry the first time (about 235 MB). Environment:
#   CLAUDE_CODE_VERSION  version to install (default 2.1.197, the newest whose engines allow Node 20)
#   CLAUDE_BIN           use this claude binary instead of installing one
#   KEEP_TMP=1           keep the temporary folder (logs, store) for inspection
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${CLAUDE_CODE_VERSION:-2.1.197}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/clawback-cc-gateway.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [[ "${KEEP_TMP:-}" != "1" ]]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT
fail() { echo "claude-code-gateway: FAIL: $*" >&2; exit 1; }

claude="${CLAUDE_BIN:-}"
if [[ -z "$claude" ]]; then
  echo "installing @anthropic-ai/claude-code@$version into $tmp/cc ..."
  npm install --prefix "$tmp/cc" --no-audit --no-fund --loglevel=error "@anthropic-ai/claude-code@$version" >/dev/null
  claude="$tmp/cc/node_modules/.bin/claude"
fi
"$claude" --version

cd "$here"
if [[ -f src/cli/main.ts && -d node_modules/tsx ]]; then cli=(node --import tsx src/cli/main.ts); else cli=(node dist/src/cli/main.js); fi

# start NAME LOG ARGS...: runs the CLI in the background, waits for its "listening on URL" line, sets $url.
start() {
  local name="$1" log="$2"; shift 2
  "${cli[@]}" "$@" >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  url=""
  for _ in $(seq 1 300); do
    url="$(sed -n "s/^clawback $name listening on \(http:[^ ]*\)$/\1/p" "$log" | head -n1)"
    [[ -n "$url" ]] && return 0
    kill -0 "$pid" 2>/dev/null || fail "$name exited: $(cat "$log")"
    sleep 0.1
  done
  fail "$name did not start: $(cat "$log")"
}
# The gateway would send ANTHROPIC_API_KEY upstream itself if it saw one: here Claude Code's own key is forwarded.
unset ANTHROPIC_API_KEY
start emulator "$tmp/emulator.log" emulate --port 0; emu="$url"
db="$tmp/clawback.db"
start gateway "$tmp/gateway.log" gateway --port 0 --upstream "$emu" --db "$db"; gw="$url"
echo "emulator at $emu, gateway at $gw"

mkdir -p "$tmp/config" "$tmp/work"
cd "$tmp/work"
for prompt in "hello" "and again"; do
  flags=(-p "$prompt"); [[ "$prompt" == "and again" ]] && flags=(--continue -p "$prompt")
  answer="$(ANTHROPIC_BASE_URL="$gw" ANTHROPIC_API_KEY=sk-ant-cc-gateway-0042 CLAUDE_CONFIG_DIR="$tmp/config" timeout 180 "$claude" "${flags[@]}")" \
    || fail "claude ${flags[*]} exited with $?"
  [[ -n "$answer" ]] || fail "empty answer to '$prompt'"
  echo "claude answered '$prompt': $answer"
done

# The gateway writes within its flush interval; stop it with SIGTERM (which flushes) before reading the store.
kill -TERM "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
ledger="$(curl -fsS "$emu/_emulator/ledger")"
cd "$here"
DB="$db" LEDGER="$ledger" node --input-type=module -e '
  import Database from "better-sqlite3";
  const db = new Database(process.env.DB, { readonly: true });
  const recs = db.prepare("SELECT * FROM usage_records WHERE endpoint = ?").safeIntegers(true).all("messages");
  const billed = JSON.parse(process.env.LEDGER).entries;
  if (billed.length === 0) throw new Error("the emulator billed nothing");
  const byReq = new Map(recs.map((r) => [r.request_id, r]));
  for (const e of billed) {
    const r = byReq.get(e.requestId);
    if (!r) throw new Error(`billed request ${e.requestId} has no gateway record`);
    if (r.cost_pico !== BigInt(e.costPico)) throw new Error(`${e.requestId}: metered ${r.cost_pico} != billed ${e.costPico} pico-USD`);
  }
  for (const r of recs) {
    if (r.status === 200n && r.outcome === "ok" && !billed.some((e) => e.requestId === r.request_id)) throw new Error(`record ${r.id} was not billed`);
    if (r.key_last4 !== "0042") throw new Error(`record ${r.id}: key_last4 ${r.key_last4}`);
    if (!r.session_id) throw new Error(`record ${r.id} has no session id`);
  }
  const total = recs.reduce((s, r) => s + r.cost_pico, 0n);
  const cacheReads = recs.reduce((s, r) => s + r.cache_read_tokens, 0n);
  console.log(`store ok: ${recs.length} metered request(s), ${billed.length} billed, total ${total} pico-USD equal to the ledger; ${cacheReads} cache-read tokens`);
'
echo "claude-code-gateway: OK"
