/**
 * The workload `clawback demo` sends: a small but realistic day of one company's traffic, deterministic (seeded),
 * built from the levers' own workloads so the demo shows what they do on the traffic they were made for.
 * - support: multi-turn support chats on Sonnet with a ~3k-token system prompt (cache-workloads.ts), naive client;
 * - agent: coding-agent sessions with ~15 tools and growing tool transcripts, naive client;
 * - docs: one-off questions over a shared ~15k-token contract, naive client;
 * - short: classification, extraction and yes/no requests sent to Sonnet that Haiku serves as well (routing's
 *   labelled set, fixtures/labelled-short.ts);
 * - reports: weekly account reports asked with max_tokens 4096 whose answers end with `</answer>` and then ramble on
 *   (the output budget's case; the emulator plays them from DEMO_SCENARIOS).
 * Steps carry a time offset: the demo moves a manual clock to it, so minutes of traffic (and cache TTLs) pass in
 * seconds.
 */
import type { ScenarioInput } from '../emulator/scenarios.js';
import { codingAgent, documentQuestions, supportChat, type WorkloadStep } from '../levers/cache-workloads.js';
import { labelledSet } from '../levers/fixtures/labelled.js';

export type DemoClient = 'support-bot' | 'coding-agent' | 'search-app';
export type DemoPart = 'support' | 'agent' | 'docs' | 'short' | 'reports';

export interface DemoStep extends WorkloadStep {
  readonly part: DemoPart;
  /** Which virtual key sends it. */
  readonly client: DemoClient;
}

export interface DemoWorkloadOptions {
  readonly supportSessions?: number;
  readonly agentSessions?: number;
  readonly docQuestions?: number;
  /** Short-form requests per kind (classification, extraction, yes/no). */
  readonly shortPerKind?: number;
  readonly reports?: number;
}

/** The stop sequence the report answers end with (the output lever adds it in the demo's config). */
export const REPORT_TAIL = '</answer>';
const REPORT_SYSTEM = `You write weekly account reports for the customer success team. End your answer with ${REPORT_TAIL}.`;
const ACCOUNTS: readonly [string, number][] = [
  ['Northwind', 640], ['Globex', 820], ['Initech', 510], ['Umbrella', 930], ['Hooli', 700], ['Stark', 580], ['Wayne', 760], ['Tyrell', 680],
];

/** Scripted answers for the emulator: each account's report has its own length, then the tail, then rambling. */
export const DEMO_SCENARIOS: readonly ScenarioInput[] = ACCOUNTS.map(([name, length]) => ({
  name: `report-${name}`,
  match: { system: 'weekly account reports', user: `account ${name}` },
  length,
  tail: REPORT_TAIL,
}));

const SHORT_KINDS = ['classification', 'extraction', 'yes_no'] as const;

function tag(steps: readonly WorkloadStep[], part: DemoPart, client: DemoClient): DemoStep[] {
  return steps.map((s) => ({ ...s, part, client }));
}

export function demoWorkload({ supportSessions = 3, agentSessions = 2, docQuestions = 8, shortPerKind = 4, reports = 8 }: DemoWorkloadOptions = {}): DemoStep[] {
  const steps: DemoStep[] = [
    ...tag(supportChat({ style: 'naive', count: supportSessions, seed: 11 }), 'support', 'support-bot'),
    ...tag(codingAgent({ style: 'naive', count: agentSessions, seed: 12 }), 'agent', 'coding-agent'),
    ...tag(documentQuestions({ style: 'naive', count: docQuestions, seed: 13 }), 'docs', 'search-app'),
  ];
  const labelled = labelledSet();
  let i = 0;
  for (const kind of SHORT_KINDS) {
    for (const r of labelled.filter((x) => x.kind === kind && x.label === 'haiku').slice(0, shortPerKind)) {
      steps.push({ at: 20_000 + i++ * 47_000, session: null, body: r.body, part: 'short', client: 'support-bot' });
    }
  }
  for (let k = 0; k < reports; k++) {
    const [name] = ACCOUNTS[k % ACCOUNTS.length]!;
    steps.push({
      at: 35_000 + k * 61_000,
      session: null,
      part: 'reports',
      client: 'search-app',
      body: {
        model: 'claude-sonnet-4-6',
        max_tokens: 4096,
        system: REPORT_SYSTEM,
        messages: [{ role: 'user', content: `Write this week's report for account ${name}: open tickets, renewals, usage trend, risks.` }],
      },
    });
  }
  // A stable sort: steps at the same moment keep their order (a session's turns never swap).
  return steps.map((s, n) => ({ s, n })).sort((a, b) => a.s.at - b.s.at || a.n - b.n).map((x) => x.s);
}
