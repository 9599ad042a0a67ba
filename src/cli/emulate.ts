/** `clawback emulate`: runs the Anthropic API emulator until interrupted. */
import { startEmulator } from '../emulator/server.js';
import { parseFault } from '../emulator/faults.js';
import { int, list, str, bool, UsageError, type FlagSpec } from './args.js';
import type { Command } from './command.js';

const flags: readonly FlagSpec[] = [
  { name: 'port', type: 'int', value: 'N', default: 4010, help: 'port to listen on (0 picks a free one)' },
  { name: 'host', type: 'string', value: 'HOST', default: '127.0.0.1', help: 'address to bind' },
  { name: 'scenarios', type: 'string', value: 'FILE', help: 'scenario file (JSON) with scripted answers, see above' },
  { name: 'fault', type: 'list', value: 'SPEC', help: 'inject a fault (repeatable), see above' },
  { name: 'batch-ms', type: 'int', value: 'N', default: 0, help: 'how long a message batch takes to process, in ms' },
  { name: 'first-byte-ms', type: 'int', value: 'N', default: 0, help: 'latency before every response begins, in ms' },
  { name: 'per-token-ms', type: 'int', value: 'N', default: 0, help: 'generation latency per output token, in ms' },
];

const description = `Runs a local stand-in for the Claude API (Messages, streaming, count_tokens, Models, Message Batches,
Admin usage and cost reports) that bills like the real one: prompt caching, usage fields, batch prices,
errors. Point any client at it: ANTHROPIC_BASE_URL=http://127.0.0.1:4010 ANTHROPIC_API_KEY=sk-ant-anything.
Every billed request lands in a ledger: GET /_emulator/ledger (DELETE empties it; DELETE /_emulator/cache
drops the prompt cache). Answers are deterministic; a request nothing scripts gets text derived from its prompt.

Scenarios (--scenarios FILE): a JSON array (or {"scenarios": [...]}); the first whose "match" fits wins.
  {"match": {"model": "sonnet", "system": "support", "user": "/refund|return/i"},
   "text": "Answer text"  or  "length": 120 (tokens),
   "tool_calls": [{"name": "get_weather", "input": {"city": "Paris"}}],   -> stop_reason "tool_use"
   "tail": "</answer>",        after the text+tail the model rambles on: only stop_sequences or max_tokens end it
   "thinking_tokens": 500,     billed as output; a thinking block when the request enables thinking
   "stop_reason": "end_turn",  reported when nothing cuts the answer short (refusal, pause_turn, ...)
   "web_searches": 1}          billed in usage.server_tool_use
  match values are substrings, or "/regex/flags"; "user" is the last user message's text.
  A matched stop sequence ends the answer (stop_reason "stop_sequence") and is not included in the text.

Faults (--fault SPEC, the CLAWBACK_EMULATOR_FAULT env var (comma-separated), or the x-emulator-fault
request header for one request), applied to POST /v1/messages:
  429                  rate_limit_error with retry-after and anthropic-ratelimit-* headers
  529                  overloaded_error            500   api_error
  mid-stream-error     a streamed reply breaks off with an error event (non-streaming: 529)
  slow-first-byte:MS   wait MS milliseconds before the response begins
  drop                 close the connection without answering
  Append @N to affect only the first N requests (e.g. 429@2: two failures, then success).`;

export const emulateCommand: Command = {
  name: 'emulate',
  summary: 'run a local Anthropic API emulator (caching, usage, batches, faults)',
  synopsis: '[--port 4010] [--host 127.0.0.1] [--scenarios FILE] [--fault SPEC] [--batch-ms N] [--json]',
  description,
  flags,
  async run(args, io) {
    const faults = list(args, 'fault');
    for (const f of faults) {
      try {
        parseFault(f);
      } catch (err) {
        throw new UsageError(`emulate: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const scenarios = str(args, 'scenarios');
    const emu = await startEmulator({
      port: int(args, 'port') ?? 4010,
      host: str(args, 'host') ?? '127.0.0.1',
      ...(scenarios !== undefined ? { scenarios } : {}),
      faults,
      batchProcessingMs: int(args, 'batch-ms') ?? 0,
      latency: { firstByteMs: int(args, 'first-byte-ms') ?? 0, perTokenMs: int(args, 'per-token-ms') ?? 0 },
      env: io.env,
    });
    if (bool(args, 'json')) io.stdout.write(JSON.stringify({ url: emu.url, ledger: `${emu.url}/_emulator/ledger` }) + '\n');
    else io.stdout.write(`clawback emulator listening on ${emu.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void emu.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
