/**
 * Generates realistic Claude Code logs for the analyze benchmark (the line shapes of clients-and-peers.md): sessions
 * per project, subagent files, user/attachment/queue lines, one API response written as several assistant lines
 * (the first lines carrying the message_start output count, the last the final one), 1-hour cache writes,
 * compaction iterations, a model alias, truncations and a few malformed (truncated) lines. Deterministic (seeded).
 */
import { mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export interface GenerateOptions {
  readonly lines: number;
  readonly files: number;
  /** Average bytes per line; the filler text is sized to hit it. */
  readonly bytesPerLine: number;
  readonly seed?: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'the cache prefix request model token session tool result file function return value test build error fix update read write config server client stream'.split(' ');

export function generateLogs(dir: string, o: GenerateOptions): { bytes: number; lines: number } {
  const rand = rng(o.seed ?? 42);
  const int = (a: number, b: number): number => a + Math.floor(rand() * (b - a + 1));
  const text = (chars: number): string => {
    let s = '';
    while (s.length < chars) s += WORDS[int(0, WORDS.length - 1)]! + ' ';
    return s.slice(0, chars);
  };
  const hex = (n: number): string => Array.from({ length: n }, () => int(0, 15).toString(16)).join('');
  const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const projects = ['-home-dev-api', '-home-dev-web', '-home-dev-infra', '-home-dev-docs', '-home-dev-ml'];
  const mainFiles = Math.max(1, Math.round(o.files * 0.8));
  const linesPerFile = Math.ceil(o.lines / o.files);
  const start = Date.parse('2026-11-16T08:00:00.000Z');
  let written = 0;
  let bytes = 0;
  const sessions: { id: string; project: string }[] = [];
  for (let f = 0; f < o.files; f++) {
    const sub = f >= mainFiles;
    const parent = sub ? sessions[f % sessions.length]! : { id: uuid(), project: projects[f % projects.length]! };
    if (!sub) sessions.push(parent);
    const folder = sub ? join(dir, parent.project, parent.id, 'subagents') : join(dir, parent.project);
    mkdirSync(folder, { recursive: true });
    const path = join(folder, sub ? `agent-${hex(8)}.jsonl` : `${parent.id}.jsonl`);
    const fd = openSync(path, 'w');
    const model = sub ? 'claude-haiku-4-5' : f % 4 === 3 ? 'claude-sonnet-4-6' : 'claude-opus-4-7';
    const oneHour = !sub && f % 2 === 0;
    let t = start + int(0, 6) * 86_400_000 + int(0, 36_000_000);
    let prompt = int(18_000, 24_000);
    let n = 0;
    let buf = '';
    const put = (obj: unknown): void => {
      buf += JSON.stringify(obj) + '\n';
      n++;
      if (buf.length > 1 << 20) {
        bytes += writeSync(fd, buf);
        buf = '';
      }
    };
    const base = { parentUuid: uuid(), isSidechain: sub, cwd: `/home/dev/${parent.project.slice(10)}`, sessionId: parent.id, version: '2.1.197', gitBranch: 'main' };
    const fill = Math.max(24, (o.bytesPerLine - 650) * 8);
    while (n < linesPerFile && written + n < o.lines) {
      t += int(2_000, rand() < 0.08 ? 1_500_000 : 90_000);
      const r = rand();
      if (r < 0.05) put({ type: 'queue-operation', operation: 'enqueue', timestamp: new Date(t).toISOString(), sessionId: parent.id });
      else if (r < 0.08) put({ ...base, type: 'attachment', uuid: uuid(), timestamp: new Date(t).toISOString(), attachment: { type: 'todo', content: text(int(50, 300)) } });
      put({ ...base, type: 'user', uuid: uuid(), timestamp: new Date(t).toISOString(), message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${hex(24)}`, content: text(int(8, fill)) }] } });
      const added = int(300, 4_000);
      const write = rand() < 0.04 ? prompt + added : added;
      const read = write > added ? 0 : prompt;
      prompt += added;
      const out = rand() < 0.02 ? 8_192 : int(20, 1_800);
      const stop = out === 8_192 ? 'max_tokens' : rand() < 0.7 ? 'tool_use' : 'end_turn';
      const usage = (o1: number): Record<string, unknown> => ({
        input_tokens: int(1, 12),
        cache_creation_input_tokens: write,
        cache_read_input_tokens: read,
        output_tokens: o1,
        service_tier: 'standard',
        cache_creation: { ephemeral_1h_input_tokens: oneHour ? write : 0, ephemeral_5m_input_tokens: oneHour ? 0 : write },
        inference_geo: '',
        iterations: [] as unknown[],
        speed: 'standard',
      });
      const msgId = `msg_${hex(24)}`;
      const reqId = `req_${hex(24)}`;
      const blocks = rand() < 0.55 ? 1 : int(2, 3);
      for (let b = 0; b < blocks; b++) {
        const last = b === blocks - 1;
        const u = usage(last ? out : int(1, 12));
        if (last && rand() < 0.003) u['iterations'] = [{ type: 'compaction', input_tokens: prompt, output_tokens: 2_500, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, { type: 'message', input_tokens: 3 }];
        const content = b === 0 && blocks > 1 ? [{ type: 'thinking', thinking: text(int(8, fill / 2)), signature: hex(16) }] : last && stop === 'tool_use' ? [{ type: 'tool_use', id: `toolu_${hex(24)}`, name: 'Bash', input: { command: text(int(20, 120)) } }] : [{ type: 'text', text: text(int(8, fill / 2)) }];
        t += int(50, 800);
        put({ ...base, type: 'assistant', requestId: reqId, uuid: uuid(), timestamp: new Date(t).toISOString(), message: { id: msgId, type: 'message', role: 'assistant', model, content, stop_reason: last ? stop : null, stop_sequence: null, usage: u } });
      }
      if (prompt > 160_000) prompt = int(18_000, 30_000);
    }
    if (f % 10 === 5) buf += '{"type":"assistant","message":{"id":"msg_trunc","usage":{"input_tok\n';
    bytes += writeSync(fd, buf);
    closeSync(fd);
    written += n;
  }
  return { bytes, lines: written };
}
