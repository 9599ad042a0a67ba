/**
 * Routing and output budgets, measured. Prints how long one routing decision takes (it runs in the request path)
 * for a small request and for a large agent request, and the router's figures on the labelled set's held-out part
 * and tuning part. Run: npx tsx bench/routing.ts [--json]
 */
import { labelledSet } from '../src/levers/fixtures/labelled.js';
import { parseRoutingConfig } from '../src/levers/routing-config.js';
import { compileRouting, decideRoute } from '../src/levers/routing-decide.js';
import { scoreRouting } from '../src/levers/routing-eval.js';
import { getDefaultCatalog } from '../src/pricing/catalog.js';
import { picoToUsd } from '../src/pricing/money.js';

const catalog = getDefaultCatalog();
const config = parseRoutingConfig({});
const compiled = compileRouting(config);
const ctx = { tags: {}, keyHash: null, userId: null, pinHeader: false };

function agentRequest(steps: number): Record<string, unknown> {
  const tools = Array.from({ length: 18 }, (_, i) => ({ name: `Tool${i}`, description: 'Reads or edits files. '.repeat(40), input_schema: { type: 'object' } }));
  const messages: Record<string, unknown>[] = [{ role: 'user', content: 'Add a --verbose flag to the CLI.' }];
  for (let i = 0; i < steps; i++) {
    messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: `t${i}`, name: 'Tool1', input: { path: 'src/cli.ts' } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `t${i}`, content: 'file contents '.repeat(400) }] });
  }
  return { model: 'claude-sonnet-4-6', max_tokens: 32_000, system: 'You are a coding agent. '.repeat(300), tools, messages };
}

function time(label: string, calls: number, body: Record<string, unknown>): { label: string; bytes: number; msPerDecision: number } {
  // A fresh copy per call, as the gateway parses a fresh body per request (what routing reads is memoised per body).
  const copies = Array.from({ length: calls + 20 }, () => structuredClone(body));
  const run = (b: Record<string, unknown>): unknown => decideRoute({ body: b, catalog, config, context: ctx, session: { model: 'claude-opus-4-7', lastAt: Date.now() } }, compiled);
  for (let i = 0; i < 20; i++) run(copies[calls + i]!);
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) run(copies[i]!);
  return { label, bytes: JSON.stringify(body).length, msPerDecision: (performance.now() - t0) / calls };
}

const timings = [
  time('classification, 1 turn', 2000, {
    model: 'claude-sonnet-4-6', max_tokens: 20, system: 'Classify the ticket. Respond with only the label.', messages: [{ role: 'user', content: 'My invoice is wrong.' }],
  }),
  time('agent, 20 tool calls', 200, agentRequest(20)),
  time('agent, 60 tool calls', 50, agentRequest(60)),
];
const all = labelledSet();
const score = (split: 'tune' | 'holdout') => {
  const s = scoreRouting(all.filter((x) => x.split === split), catalog, config);
  return {
    split, n: s.n, accuracy: s.correct / s.n, below_label: s.below / s.n, above_label: s.above / s.n,
    routed_usd: picoToUsd(s.routedPico), all_opus_usd: picoToUsd(s.allOpusPico), all_sonnet_usd: picoToUsd(s.allSonnetPico), perfect_router_usd: picoToUsd(s.oraclePico),
  };
};
const figures = [score('holdout'), score('tune')];

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ timings, figures }));
} else {
  for (const t of timings) console.log(`${t.label.padEnd(26)} ${String(t.bytes).padStart(8)} bytes  ${t.msPerDecision.toFixed(3)} ms/decision`);
  for (const f of figures) {
    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
    console.log(
      `${f.split.padEnd(8)} n=${f.n} accuracy ${pct(f.accuracy)}, below label ${pct(f.below_label)}, above ${pct(f.above_label)}; ` +
        `routed $${f.routed_usd.toFixed(4)} = ${pct(f.routed_usd / f.all_opus_usd)} of all-Opus, ${pct(f.routed_usd / f.all_sonnet_usd)} of all-Sonnet, ${pct(f.routed_usd / f.perfect_router_usd)} of a perfect router`,
    );
  }
}
