#!/usr/bin/env bash
# Claude Code against the clawback emulator: installs Claude Code into a temporary folder (never into the project),
# starts `clawback emulate` on a free port, runs `claude -p 'hello'` against it, and checks that
#   1. Claude Code answered (exit 0, non-empty answer),
#   2. it wrote its session log under CLAUDE_CONFIG_DIR/projects/ with an assistant line carrying usage,
#   3. that line's requestId is a request the emulator billed (GET /_emulator/ledger).
# Needs the npm registry (about 235 MB download). Environment:
#   CLAUDE_CODE_VERSION  version to install (default 2.1.197, the newest whose engines allow Node 20)
#   CLAUDE_BIN           use this claude binary instead of installing one
#   KEEP_TMP=1           keep the temporary folder for inspection
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${CLAUDE_CODE_VERSION:-2.1.197}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/clawback-cc-smoke.XXXXXX")"
emu_pid=""
cleanup() {
  if [[ -n "$emu_pid" ]]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  if [[ "${KEEP_TMP:-}" != "1" ]]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT

fail() { echo "claude-code-smoke: FAIL: $*" >&2; exit 1; }

claude="${CLAUDE_BIN:-}"
if [[ -z "$claude" ]]; then
  echo "installing @anthropic-ai/claude-code@$version into $tmp/cc ..."
  start=$(date +%s)
  npm install --prefix "$tmp/cc" --no-audit --no-fund --loglevel=error "@anthropic-ai/claude-code@$version" >/dev/null
  echo "installed in $(( $(date +%s) - start ))s"
  claude="$tmp/cc/node_modules/.bin/claude"
fi
"$claude" --version

# Start the emulator (from source through tsx in a checkout, else the compiled CLI) and wait for "listening on".
cd "$here"
if [[ -f src/cli/main.ts && -d node_modules/tsx ]]; then
  node --import tsx src/cli/main.ts emulate --port 0 >"$tmp/emulator.log" 2>&1 &
else
  node dist/src/cli/main.js emulate --port 0 >"$tmp/emulator.log" 2>&1 &
fi
emu_pid=$!
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^clawback emulator listening on \(http:[^ ]*\)$/\1/p' "$tmp/emulator.log" | head -n1)"
  [[ -n "$url" ]] && break
  kill -0 "$emu_pid" 2>/dev/null || fail "the emulator exited: $(cat "$tmp/emulator.log")"
  sleep 0.1
done
[[ -n "$url" ]] || fail "the emulator did not start: $(cat "$tmp/emulator.log")"
echo "emulator at $url"

mkdir -p "$tmp/config" "$tmp/work"
cd "$tmp/work"
start=$(date +%s)
answer="$(ANTHROPIC_BASE_URL="$url" ANTHROPIC_API_KEY=sk-ant-x CLAUDE_CONFIG_DIR="$tmp/config" timeout 120 "$claude" -p 'hello')" \
  || fail "claude -p exited with $?"
echo "claude answered in $(( $(date +%s) - start ))s: $answer"
[[ -n "$answer" ]] || fail "empty answer"

log="$(find "$tmp/config/projects" -name '*.jsonl' -type f | head -n1)"
[[ -n "$log" ]] || fail "no session log under $tmp/config/projects"
ledger="$(curl -fsS "$url/_emulator/ledger")"
LOG="$log" LEDGER="$ledger" ANSWER="$answer" node --input-type=module -e '
  import { readFileSync } from "node:fs";
  const lines = readFileSync(process.env.LOG, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const assistant = lines.filter((l) => l.type === "assistant" && l.message?.usage);
  if (assistant.length === 0) throw new Error("no assistant line with usage in the log");
  const billed = new Map(JSON.parse(process.env.LEDGER).entries.map((e) => [e.requestId, e]));
  for (const a of assistant) {
    const e = billed.get(a.requestId);
    if (!e) throw new Error(`log requestId ${a.requestId} is not in the emulator ledger`);
    for (const k of ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens"]) {
      if (a.message.usage[k] !== e.usage[k]) throw new Error(`usage.${k}: log ${a.message.usage[k]} != ledger ${e.usage[k]}`);
    }
  }
  const text = assistant.flatMap((a) => a.message.content).filter((b) => b.type === "text").map((b) => b.text).join("");
  if (!process.env.ANSWER.includes(text.trim())) throw new Error("the logged answer differs from the printed one");
  console.log(`log ok: ${assistant.length} assistant line(s), request ids and usage match the ledger`);
'
echo "claude-code-smoke: OK"
