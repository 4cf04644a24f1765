/**
 * The report as one self-contained HTML page: Chart.js (UMD build from the installed `chart.js`
 * package) and the data are inlined, so the page opens offline and can be mailed or archived.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ReportModel } from './aggregate.js';
import { fmt, fmtCi, fmtP, fmtSigned } from './format.js';
import { PAGE_SCRIPT } from './page-script.js';

let chartJsCache: string | undefined;

/** The Chart.js UMD bundle, read from the installed package (no network, no CDN). */
export function chartJsSource(): string {
  if (chartJsCache === undefined) {
    const main = createRequire(import.meta.url).resolve('chart.js'); // <pkg>/dist/chart.cjs
    const src = readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
    chartJsCache = src.replace(/\/\/# sourceMappingURL=\S*\s*$/, '');
  }
  return chartJsCache;
}

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:2px 0;color:#c9cfdb}main{padding:18px 28px;max-width:1400px}
h2{margin:26px 0 10px;font-size:18px}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:14px}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:12px 14px}.card h3{margin:0 0 2px;font-size:14px}
.note{color:#667085;font-size:12px;margin:0 0 6px}.wrap{position:relative;height:260px}
table{border-collapse:collapse;background:#fff;font-variant-numeric:tabular-nums;margin-bottom:8px}
th,td{border:1px solid #dde1e8;padding:4px 9px;text-align:right}th{background:#eef1f5}td:first-child,th:first-child{text-align:left}
tr.metric td{background:#f3f5f8;font-weight:600;text-align:left}.sig{font-weight:700;color:#0a7a32}code{font-size:12px}`;

function finalsTable(m: ReportModel): string {
  const rows: string[] = [];
  for (const f of m.finals) {
    rows.push(`<tr class="metric"><td colspan="7">${esc(f.label)} <code>${esc(f.key)}</code></td></tr>`);
    for (const p of f.perMethod) {
      const v = p.vsBaseline;
      const sig = (x: number) => (x < 0.05 ? ' class="sig"' : '');
      rows.push(
        `<tr><td>${esc(p.method)}${p.method === m.baseline ? ' (baseline)' : ''}</td><td>${p.ci.n}</td><td>${fmtCi(p.ci)}</td>` +
          (v
            ? `<td>${fmtSigned(v.diff)}</td><td>${v.nPairs}</td><td${sig(v.tTest.p)}>${fmtP(v.tTest)}</td><td${sig(v.wilcoxon.p)}>${fmtP(v.wilcoxon)}</td>`
            : '<td>–</td><td>–</td><td>–</td><td>–</td>') +
          '</tr>',
      );
    }
  }
  return `<table><thead><tr><th>method</th><th>seeds</th><th>mean ± 95 % CI</th><th>Δ vs ${esc(m.baseline)} (paired) ± 95 % CI</th>
<th>pairs</th><th>paired t p</th><th>Wilcoxon p</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function lldTable(m: ReportModel): string {
  const rows = m.lld.map(
    (d) =>
      `<tr><td>${esc(d.method)}</td><td>${d.values.length}</td><td>${fmt(d.min)}</td><td>${fmt(d.q1)}</td><td>${fmt(d.median)}</td>` +
      `<td>${fmt(d.q3)}</td><td>${fmt(d.max)}</td><td>${fmt(d.fracNeg)}</td></tr>`,
  );
  return `<table><thead><tr><th>method</th><th>values</th><th>min</th><th>q1</th><th>median</th><th>q3</th><th>max</th><th>fraction &lt; 0</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const card = (id: string, title: string, note?: string) =>
  `<div class="card"><h3>${esc(title)}</h3>${note ? `<p class="note">${esc(note)}</p>` : ''}<div class="wrap"><canvas data-chart="${esc(id)}" aria-label="${esc(title)}" role="img"></canvas></div></div>`;

export function renderHtml(m: ReportModel, opts: { generatedAt?: string } = {}): string {
  const seeds = m.methods.map((x) => `${esc(x)} (${m.seeds[x]?.length ?? 0} seeds)`).join(', ');
  const lldSrc =
    m.lldSource === 'probe'
      ? 'Δ(x) per question from the paired probe (same parameters and groups, one update per method).'
      : 'Per-step mean Δ(x) over each step’s mixed groups, pooled over seeds (the trainer logs summaries per step).';
  const lld =
    m.lld.length > 0
      ? `<p class="note">${esc(lldSrc)} Δ(x) = mean over the correct responses of log π_θ′(y⁺|x) − log π_θ(y⁺|x); Δ &lt; 0 is lazy likelihood displacement.</p>
<div class="grid">${card('lld-hist', 'Δ(x) histogram')}${card('lld-box', 'Δ(x) quartiles, median and range')}</div>${lldTable(m)}`
      : '<p class="note">No LLD measurements in these runs.</p>';
  const nthr = m.curves.some((c) => c.id === 'nthr-selected')
    ? ''
    : '<p class="note">No run used NTHR (no selection rates to show).</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(m.name)} — grpo-lab report</title><style>${CSS}</style></head>
<body><header><h1>${esc(m.name)} — grpo-lab report</h1>
<p>${seeds}; baseline <b>${esc(m.baseline)}</b>; ${m.runsFinished} of ${m.runsTotal} runs finished.</p>
<p>${esc(m.dir)}${opts.generatedAt ? ` · generated ${esc(opts.generatedAt)}` : ''}</p></header>
<main>
<h2>Final metrics</h2>
<p class="note">Mean over seeds ± half width of the 95 % Student-t interval. Differences are paired by seed against
${esc(m.baseline)}; p-values are two-sided (paired t-test; exact Wilcoxon signed-rank — with n pairs its smallest possible p is 2/2ⁿ). p &lt; 0.05 in bold.</p>
${finalsTable(m)}
<h2>Training curves</h2>
<div class="grid">${m.curves.map((c) => card(c.id, c.title, c.note)).join('\n')}</div>
${nthr}
<h2>Lazy likelihood displacement: Δ(x) distributions</h2>
${lld}
</main>
<script type="application/json" id="report-data">${scriptJson(m)}</script>
<script>${chartJsSource().replace(/<\/script/gi, '<\\/script')}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
