/**
 * The `--html` report: one self-contained page (inline CSS and SVG, no script, no external URL) that opens
 * offline: totals, spend over time, spend by model, a waterfall of savings by lever, the what-if table with its
 * assumptions, and the top sessions.
 */
import { picoToUsd } from '../pricing/money.js';
import { cacheHitRate, type Bucket } from './aggregate.js';
import type { Report } from './report-json.js';
import { compact, usd } from './report-text.js';

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const W = 760;
const H = 220;
const PAD = 48;

function bars(rows: readonly { label: string; value: number; title: string }[], color: string): string {
  if (rows.length === 0) return '<p class="muted">no data</p>';
  const max = Math.max(...rows.map((r) => r.value), 1e-9);
  const bw = (W - PAD * 2) / rows.length;
  const every = Math.max(1, Math.ceil(rows.length / 12));
  const out = rows.map((r, i) => {
    const h = (r.value / max) * (H - 50);
    const x = PAD + i * bw;
    const label = i % every === 0 ? `<text x="${x + bw / 2}" y="${H - 8}" text-anchor="middle">${esc(r.label)}</text>` : '';
    return `<rect x="${x + bw * 0.1}" y="${H - 28 - h}" width="${bw * 0.8}" height="${Math.max(h, 0.5)}" fill="${color}"><title>${esc(r.title)}</title></rect>${label}`;
  });
  return `<svg viewBox="0 0 ${W} ${H}" role="img"><text x="4" y="14">$${max.toFixed(2)}</text><line x1="${PAD}" y1="${H - 28}" x2="${W - PAD}" y2="${H - 28}" stroke="#999"/>${out.join('')}</svg>`;
}

function hbars(rows: readonly Bucket[]): string {
  if (rows.length === 0) return '<p class="muted">no data</p>';
  const max = Math.max(...rows.map((r) => picoToUsd(r.cost)), 1e-9);
  const rh = 26;
  const out = rows.map((r, i) => {
    const w = (picoToUsd(r.cost) / max) * (W - 330);
    return `<text x="4" y="${i * rh + 17}">${esc(r.key)}</text><rect x="230" y="${i * rh + 4}" width="${Math.max(w, 0.5)}" height="${rh - 8}" fill="#4c78a8"/><text x="${236 + w}" y="${i * rh + 17}">${esc(usd(r.cost))}</text>`;
  });
  return `<svg viewBox="0 0 ${W} ${rows.length * rh + 4}" role="img">${out.join('')}</svg>`;
}

function waterfall(r: Report): string {
  const w = r.whatif;
  const steps: { label: string; from: number; to: number }[] = [];
  let prev = picoToUsd(w.actual);
  for (const s of w.waterfall) {
    const v = picoToUsd(s.cost);
    steps.push({ label: s.lever.replace('_', ' '), from: prev, to: v });
    prev = v;
  }
  const max = Math.max(picoToUsd(w.actual), ...steps.map((s) => Math.max(s.from, s.to)), 1e-9);
  const n = steps.length + 2;
  const bw = (W - PAD * 2) / n;
  const y = (v: number): number => H - 28 - (v / max) * (H - 50);
  const col = (i: number, a: number, b: number, color: string, label: string, title: string): string =>
    `<rect x="${PAD + i * bw + bw * 0.1}" y="${Math.min(y(a), y(b))}" width="${bw * 0.8}" height="${Math.max(Math.abs(y(a) - y(b)), 0.5)}" fill="${color}"><title>${esc(title)}</title></rect><text x="${PAD + i * bw + bw / 2}" y="${H - 8}" text-anchor="middle">${esc(label)}</text>`;
  const parts = [col(0, 0, picoToUsd(w.actual), '#888', 'actual', `actual ${usd(w.actual)}`)];
  steps.forEach((s, i) => parts.push(col(i + 1, s.from, s.to, s.to <= s.from ? '#54a24b' : '#e45756', s.label, `${s.label}: ${(s.from - s.to).toFixed(2)} USD saved`)));
  parts.push(col(n - 1, 0, prev, '#4c78a8', 'all levers', `all levers ${usd(w.combined.cost)}`));
  return `<svg viewBox="0 0 ${W} ${H}" role="img"><line x1="${PAD}" y1="${H - 28}" x2="${W - PAD}" y2="${H - 28}" stroke="#999"/>${parts.join('')}</svg>`;
}

function tableHtml(rows: readonly Bucket[], keyHead: string): string {
  const head = `<tr><th>${esc(keyHead)}</th><th>requests</th><th>cost</th><th>input</th><th>write 5m</th><th>write 1h</th><th>read</th><th>output</th><th>hit</th><th>trunc.</th></tr>`;
  const body = rows
    .map((b) => {
      const hit = cacheHitRate(b.tokens);
      return `<tr><td>${esc(b.key)}</td><td>${b.requests}</td><td>${esc(usd(b.cost))}</td><td>${compact(b.tokens.input)}</td><td>${compact(b.tokens.cache_write_5m)}</td><td>${compact(b.tokens.cache_write_1h)}</td><td>${compact(b.tokens.cache_read)}</td><td>${compact(b.tokens.output)}</td><td>${hit === null ? '-' : (hit * 100).toFixed(1) + '%'}</td><td>${b.truncations}</td></tr>`;
    })
    .join('');
  return `<table>${head}${body}</table>`;
}

export function reportHtml(r: Report): string {
  const a = r.agg;
  const w = r.whatif;
  const t = a.totals;
  const hit = cacheHitRate(t.tokens);
  const whatifRows = [...w.levers, w.combined, w.oracle]
    .map((e) => `<tr><td>${esc(e.lever.replace('_', ' '))}</td><td>${esc(usd(e.cost))}</td><td>${esc(usd(e.saving))}</td><td class="a">${esc(e.assumption)}</td></tr>`)
    .join('');
  const unknown = a.unknownModels.map((u) => `<p class="warn">Not priced: model ${esc(u.model)} (${u.requests} requests) is not in the price catalog.</p>`).join('');
  const sources = r.sources.map((s) => `<li>${esc(s.kind)}: ${s.files} file(s), ${s.lines} lines, ${s.duplicates} duplicate lines dropped, ${s.malformed} malformed lines skipped</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>clawback analyze</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;color:#222;padding:0 12px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
.kpi{display:flex;gap:16px;flex-wrap:wrap}.kpi div{background:#f3f5f8;border-radius:6px;padding:10px 14px}
.kpi b{display:block;font-size:20px}
svg{width:100%;height:auto;font-size:11px;fill:#333}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:1px solid #e3e3e3;padding:4px 6px;text-align:right}
td:first-child,th:first-child{text-align:left}td.a,th.a{text-align:left;color:#555;font-size:12px}
.muted{color:#777}.warn{color:#b00}
</style></head><body>
<h1>clawback analyze</h1>
<p class="muted">${a.first === null ? 'no requests' : `${esc(new Date(a.first).toISOString())} to ${esc(new Date(a.last ?? a.first).toISOString())}`}</p>
<ul class="muted">${sources}</ul>
<div class="kpi"><div>spend<b>${esc(usd(t.cost))}</b></div><div>requests<b>${t.requests.toLocaleString('en-US')}</b></div>
<div>cache hit rate<b>${hit === null ? '-' : (hit * 100).toFixed(1) + '%'}</b></div><div>saving, all levers<b>${esc(usd(w.combined.saving))}</b></div>
<div>oracle floor<b>${esc(usd(w.oracle.cost))}</b></div></div>
${unknown}
<h2>Spend over time</h2>
${bars(a.byDay.map((b) => ({ label: b.key.slice(5), value: picoToUsd(b.cost), title: `${b.key}: ${usd(b.cost)}, ${b.requests} requests` })), '#4c78a8')}
<h2>Spend by model</h2>
${hbars(a.byModel)}
<h2>Savings by lever (waterfall: levers added one after another)</h2>
${waterfall(r)}
<h2>What if</h2>
<p class="muted">Savings are measured against a replay of the traffic as it was (${esc(usd(w.replayBaseline))}; actual bill ${esc(usd(w.actual))}). Cache engine: ${esc(w.cacheEngine)}.</p>
<table><tr><th>lever</th><th>would cost</th><th>saving</th><th class="a">assumption</th></tr>${whatifRows}</table>
<h2>By ${esc(a.by)}</h2>
${tableHtml(a.groups, a.by)}
<h2>Top sessions</h2>
${tableHtml(a.topSessions, 'session')}
</body></html>
`;
}
