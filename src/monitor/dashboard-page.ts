/**
 * The dashboard: one self-contained HTML page (inline CSS and JS, charts drawn as SVG by the code below, no CDN, no
 * external fonts), so it works offline and behind a strict CSP. It reads the JSON API and listens to the live feed;
 * every value from the API is put into the page as text (never as HTML), since model names, tags and sessions
 * come from clients. Dollar amounts are formatted from exact pico-dollar strings with BigInt.
 */
const CSS = `
:root{--bg:#0f1115;--panel:#171a21;--line:#262b36;--fg:#e6e8ee;--mute:#8b93a7;--acc:#6ea8fe;--good:#4cc38a;--warn:#f5a524;--bad:#f16a6a}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}
header{display:flex;align-items:center;gap:12px;padding:14px 20px;border-bottom:1px solid var(--line)}
header h1{font-size:17px;margin:0;font-weight:600}header .sub{color:var(--mute);font-size:12px}
#live{margin-left:auto;font-size:12px;color:var(--mute)}#live::before{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;background:var(--bad);margin-right:6px}
#live.on::before{background:var(--good)}
main{padding:16px 20px;display:grid;gap:16px;grid-template-columns:repeat(12,1fr)}
section{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 14px;min-width:0}
section h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--mute);margin:0 0 8px;font-weight:600}
.cards{grid-column:1/-1;display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;background:none;border:0;padding:0}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .k{font-size:11px;color:var(--mute);text-transform:uppercase;letter-spacing:.05em}.card .v{font-size:22px;font-weight:600;margin-top:2px;font-variant-numeric:tabular-nums}
.card .n{font-size:11px;color:var(--mute)}.good{color:var(--good)}
.w8{grid-column:span 8}.w4{grid-column:span 4}.w6{grid-column:span 6}.w12{grid-column:1/-1}
@media(max-width:1000px){.w8,.w4,.w6{grid-column:1/-1}}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}th,td{padding:4px 6px;text-align:left;border-bottom:1px solid var(--line);white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:260px}
th{color:var(--mute);font-weight:500;font-size:12px}td.r,th.r{text-align:right}tr.new{animation:flash 1.2s ease-out}
@keyframes flash{from{background:#24406b}to{background:transparent}}
svg text{fill:var(--mute);font-size:10px}.bar{fill:var(--acc)}.base{fill:#3a4356}.empty{color:var(--mute);font-size:12px}
.budget{margin-bottom:12px}.budget svg{margin-top:6px;display:block}.budget .t{display:flex;justify-content:space-between;font-size:13px}.meter{height:8px;background:#262b36;border-radius:4px;overflow:hidden;margin:4px 0}
.meter i{display:block;height:100%;background:var(--good)}.meter i.warn{background:var(--warn)}.meter i.bad{background:var(--bad)}
.alert{font-size:12px;border-left:3px solid var(--warn);padding:2px 8px;margin-bottom:6px}
`;

const JS = String.raw`
'use strict';
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = tag === 'svg' || attrs && attrs.svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (k !== 'svg' && v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
const S = (tag, attrs, ...kids) => el(tag, Object.assign({ svg: true }, attrs), ...kids);
// Exact dollars from a pico-dollar decimal string, rounded half-up to 'digits' places.
function usdPico(p, digits) {
  let v = BigInt(p); const neg = v < 0n; if (neg) v = -v;
  const unit = 10n ** BigInt(12 - digits); const r = (v + unit / 2n) / unit;
  const s = r.toString().padStart(digits + 1, '0');
  return (neg ? '-' : '') + '$' + s.slice(0, s.length - digits) + (digits ? '.' + s.slice(s.length - digits) : '');
}
const usd = (n, d = 4) => (n < 0 ? '-' : '') + '$' + Math.abs(n).toFixed(d);
const int = (n) => Number(n).toLocaleString('en-US');
const pct = (x) => (x * 100).toFixed(1) + '%';
async function get(path) {
  const r = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}
function setCard(id, text, pico) { const e = $(id); e.textContent = text; if (pico !== undefined) e.dataset.pico = pico; }

function table(host, cols, rows, empty) {
  host.replaceChildren();
  if (!rows.length) { host.append(el('div', { class: 'empty' }, empty || 'nothing yet')); return; }
  const t = el('table', {}, el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', { class: c.r ? 'r' : '' }, c.h)))));
  const tb = el('tbody');
  for (const row of rows) tb.append(el('tr', {}, ...cols.map((c) => el('td', { class: c.r ? 'r' : '', title: String(c.f(row)) }, c.f(row)))));
  t.append(tb); host.append(t);
}
const groupCols = [
  { h: 'name', f: (r) => r.name }, { h: 'requests', r: 1, f: (r) => int(r.requests) },
  { h: 'cost', r: 1, f: (r) => usdPico(r.cost_pico, 4) }, { h: 'saved', r: 1, f: (r) => usd(r.savings_usd) },
];

function hourlyChart(host, hourly) {
  const W = 640, H = 150, pad = 28, n = hourly.length, bw = (W - pad) / n;
  const max = Math.max(1e-9, ...hourly.map((h) => Math.max(h.cost_usd, h.baseline_usd)));
  const svg = S('svg', { viewBox: '0 0 ' + W + ' ' + (H + 16), width: '100%', role: 'img', 'aria-label': 'cost per hour, last 24 hours' });
  hourly.forEach((h, i) => {
    const x = pad + i * bw, bh = (h.baseline_usd / max) * H, ch = (h.cost_usd / max) * H;
    svg.append(S('rect', { class: 'base', x: x + 1, y: H - bh, width: Math.max(1, bw - 2), height: bh }, S('title', {}, 'baseline ' + usd(h.baseline_usd))));
    svg.append(S('rect', { class: 'bar', x: x + 3, y: H - ch, width: Math.max(1, bw - 6), height: ch }, S('title', {}, h.hour.slice(11, 16) + ' UTC: ' + usd(h.cost_usd))));
    if (i % 4 === 0) svg.append(S('text', { x: x, y: H + 12 }, h.hour.slice(11, 13) + 'h'));
  });
  svg.append(S('text', { x: 0, y: 10 }, usd(max, 2)));
  host.replaceChildren(svg);
}

function leverBars(host, byLever, totals) {
  host.replaceChildren();
  const rows = Object.entries(byLever);
  const max = Math.max(1e-12, ...rows.map(([, v]) => Math.abs(v)));
  host.append(el('div', { class: 'n' }, 'baseline ' + usdPico(totals.baseline_pico, 4) + ' → actual ' + usdPico(totals.cost_pico, 4)));
  const svg = S('svg', { viewBox: '0 0 320 ' + rows.length * 22, width: '100%' });
  rows.forEach(([k, v], i) => {
    const w = (Math.abs(v) / max) * 170;
    svg.append(S('text', { x: 0, y: i * 22 + 14 }, k));
    svg.append(S('rect', { class: v >= 0 ? 'bar' : 'base', x: 90, y: i * 22 + 4, width: Math.max(0.5, w), height: 14 }));
    svg.append(S('text', { x: 95 + w, y: i * 22 + 15 }, usd(v)));
  });
  host.append(svg);
}

function burnChart(b) {
  const W = 300, H = 50, pts = b.burn;
  const t0 = Date.parse(b.period_start), t1 = b.period_end ? Date.parse(b.period_end) : Date.now();
  const xs = (t) => ((t - t0) / Math.max(1, t1 - t0)) * W, ys = (v) => H - (Math.max(0, v) / Math.max(1e-12, b.limit_usd)) * H;
  const d = pts.map((p, i) => (i ? 'L' : 'M') + xs(Date.parse(p.at)).toFixed(1) + ' ' + ys(p.remaining_usd).toFixed(1)).join(' ');
  const last = pts[pts.length - 1];
  return S('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', height: 50, preserveAspectRatio: 'none' },
    S('line', { x1: 0, y1: 0, x2: W, y2: H, stroke: '#3a4356', 'stroke-dasharray': '3 3' }),
    S('path', { d: d + ' L' + xs(Math.min(Date.now(), t1)).toFixed(1) + ' ' + ys(last.remaining_usd).toFixed(1), fill: 'none', stroke: '#6ea8fe', 'stroke-width': 2 }));
}

function budgets(host, list) {
  host.replaceChildren();
  if (!list.length) { host.append(el('div', { class: 'empty' }, 'no budgets configured (see "Budgets, alerts and keys" in the README)')); return; }
  for (const b of list) {
    const used = Math.min(100, b.percent_spent);
    const bar = el('i', { class: used >= 100 ? 'bad' : used >= 80 ? 'warn' : '', style: 'width:' + used + '%' });
    host.append(el('div', { class: 'budget', 'data-budget': b.name },
      el('div', { class: 't' }, el('span', {}, b.name + ' · ' + b.scope + ' · per ' + b.period + ' · ' + b.mode), el('span', { class: 'spent' }, usdPico(b.spent_pico, 4) + ' of ' + usdPico(b.limit_pico, 2))),
      el('div', { class: 'meter' }, bar),
      el('div', { class: 'n' }, 'remaining ' + usd(b.remaining_usd) + ' · in flight ' + usd(b.in_flight_usd) + (b.period_end ? ' · resets ' + b.period_end.replace('T', ' ').slice(0, 16) + ' UTC' : '')),
      burnChart(b)));
  }
}

const reqCols = [
  { h: 'time', f: (r) => r.at.slice(11, 19) }, { h: 'model', f: (r) => r.model || '' }, { h: 'key', f: (r) => r.key },
  { h: 'tags', f: (r) => Object.entries(r.tags).map(([k, v]) => k + '=' + v).join(',') }, { h: 'status', f: (r) => r.status + (r.outcome !== 'ok' ? ' ' + r.outcome : '') },
  { h: 'in', r: 1, f: (r) => int(r.input_tokens) }, { h: 'cache w/r', r: 1, f: (r) => int(r.cache_write_tokens) + '/' + int(r.cache_read_tokens) },
  { h: 'out', r: 1, f: (r) => int(r.output_tokens) }, { h: 'bill', r: 1, f: (r) => usdPico(r.cost_pico, 6) }, { h: 'saved', r: 1, f: (r) => usd(r.savings_usd, 6) },
];
let recent = [];
function renderRecent(flashId) {
  table($('recent'), reqCols, recent, 'no requests yet: point a client at this gateway');
  if (flashId) { const tr = $('recent').querySelector('tbody tr'); if (tr) tr.className = 'new'; }
}

function alertsList(list) {
  const host = $('alerts'); host.replaceChildren();
  if (!list.length) { host.append(el('div', { class: 'empty' }, 'no alerts')); return; }
  for (const a of list.slice(0, 20)) host.append(el('div', { class: 'alert' }, a.at.replace('T', ' ').slice(0, 19) + ' · ' + a.message));
}

let version = 0;
async function refresh() {
  const v = ++version;
  const [s, b, a] = await Promise.all([get('api/summary'), get('api/budgets'), get('api/alerts')]);
  if (v !== version) return;
  const t = s.totals;
  setCard('spend-hour', usd(s.spend.last_hour_usd) + '/h');
  setCard('spend-today', usdPico(s.spend.today_pico, 4), s.spend.today_pico);
  setCard('spend-month', usdPico(s.spend.month_pico, 4), s.spend.month_pico);
  setCard('spend-projection', usd(s.spend.month_projection_usd, s.spend.month_projection_usd < 1 ? 4 : 2));
  setCard('total-cost', usdPico(t.cost_pico, 6), t.cost_pico);
  setCard('total-requests', int(t.requests), String(t.requests));
  setCard('total-savings', usdPico(t.savings_pico, 6), t.savings_pico);
  setCard('cache-hit', pct(s.cache.hit_rate));
  $('total-tokens').textContent = int(t.input_tokens) + ' in · ' + int(t.cache_creation_tokens) + ' cache w · ' + int(t.cache_read_tokens) + ' cache r · ' + int(t.output_tokens) + ' out';
  $('savings-note').textContent = 'baseline ' + usdPico(t.baseline_pico, 4);
  hourlyChart($('hourly'), s.hourly);
  leverBars($('levers'), s.savings_by_lever, t);
  table($('by-model'), groupCols, s.by_model); table($('by-key'), groupCols, s.by_key);
  table($('by-tag'), groupCols, s.by_tag); table($('by-session'), groupCols, s.by_session);
  budgets($('budgets'), b.budgets);
  alertsList(a.alerts.map((x) => x.payload));
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  document.body.dataset.requests = String(t.requests);
}
let timer = null;
function soon() { if (timer) return; timer = setTimeout(() => { timer = null; refresh().catch(showError); }, 500); }
function showError(e) { $('updated').textContent = String(e.message || e); }

async function start() {
  const r = await get('api/requests?limit=50'); recent = r.requests; renderRecent();
  await refresh();
  const es = new EventSource('api/events');
  es.addEventListener('open', () => { $('live').className = 'on'; $('live').textContent = 'live'; soon(); });
  es.addEventListener('error', () => { $('live').className = ''; $('live').textContent = 'reconnecting…'; });
  es.addEventListener('request', (ev) => { const row = JSON.parse(ev.data); recent = [row, ...recent].slice(0, 50); renderRecent(row.id); soon(); });
  es.addEventListener('alert', () => soon());
}
start().catch(showError);
`;

const card = (id: string, label: string, note = ''): string =>
  `<div class="card"><div class="k">${label}</div><div class="v" id="${id}">–</div><div class="n">${note}</div></div>`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>clawback · live spend</title><style>${CSS}</style></head>
<body>
<header><h1>clawback</h1><span class="sub">live spend, to the cent · <span id="updated">loading…</span></span><span id="live">connecting…</span></header>
<main>
<section class="cards">
${card('spend-hour', 'spend now', 'billed in the last 60 min')}
${card('spend-today', 'today', 'since 00:00 UTC')}
${card('spend-month', 'this month', 'since the 1st, UTC')}
${card('spend-projection', 'month-end projection', 'this month at its average rate')}
${card('total-cost', 'total billed', 'every request in the store')}
${card('total-requests', 'requests', '<span id="total-tokens"></span>')}
${card('total-savings', 'saved', '<span id="savings-note"></span>')}
${card('cache-hit', 'cache hit rate', 'cache reads / all input tokens')}
</section>
<section class="w8"><h2>Cost per hour, last 24 h (blue: billed, grey: baseline)</h2><div id="hourly"></div></section>
<section class="w4"><h2>Savings by lever</h2><div id="levers"></div></section>
<section class="w6"><h2>Budgets</h2><div id="budgets"></div></section>
<section class="w6"><h2>Alerts</h2><div id="alerts"></div></section>
<section class="w6"><h2>By model</h2><div id="by-model"></div></section>
<section class="w6"><h2>By key</h2><div id="by-key"></div></section>
<section class="w6"><h2>By tag</h2><div id="by-tag"></div></section>
<section class="w6"><h2>By session</h2><div id="by-session"></div></section>
<section class="w12"><h2>Recent requests, each with its bill</h2><div id="recent"></div></section>
</main>
<script>${JS}</script>
</body></html>
`;
