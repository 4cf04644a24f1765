/**
 * Draws the README picture: NTHR scores s(t) of every token of one incorrect response from the
 * golden "main" case (`../shared/golden/nthr.json`), selected tokens (s > τ) marked, τ drawn.
 * Computed by this package's own `nthrScores` on the cpu backend; the SVG is written by hand.
 *
 *   npx tsx --conditions=@grpo-lab/source packages/reweighters/scripts/plot-scores.ts [out.svg]
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { denseLogits, selectBackend } from '@grpo-lab/core';
import { nthrScores } from '@grpo-lab/reweighters';
import { loadGolden } from '../../../testing/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, '..', 'docs', 'nthr-scores.svg');

async function main(): Promise<void> {
  await selectBackend('cpu');
  const x = loadGolden('nthr.json').cases.find((c: { name: string }) => c.name === 'main').inputs;
  const dense = tf.tensor3d(x.logits);
  const batch = {
    groupIds: tf.tensor1d(x.group_ids, 'int32'),
    rewards: tf.tensor1d(x.rewards),
    mask: tf.tensor2d(x.mask),
    tokenIds: tf.tensor2d(x.token_ids, undefined, 'int32'),
    hidden: tf.tensor3d(x.hidden),
    logits: denseLogits(dense),
  } as const;
  const r = await nthrScores(batch, { beta: 1, eta: 'two_abs_half_minus_p', includeSelf: true });
  const [scores, selected] = await Promise.all([r.scores.data(), r.selected.data()]);
  const T = x.mask[0].length;
  // The incorrect row of a mixed group with the most tokens that has both selected and kept tokens.
  const candidates = r.groups
    .filter((g) => g.mixed)
    .flatMap((g) =>
      g.rows.filter((_, j) => !g.correct[j]).map((row) => ({ g, row, len: g.lengths[g.rows.indexOf(row)]! })),
    )
    .map((c) => ({ ...c, sel: Array.from(selected.slice(c.row * T, c.row * T + c.len)) }))
    .filter((c) => c.sel.some((v) => v === 1) && c.sel.some((v) => v === 0))
    .sort((a, b) => b.len - a.len);
  const pick = candidates[0];
  if (!pick) throw new Error('no incorrect response with both selected and kept tokens');
  const s = Array.from(scores.slice(pick.row * T, pick.row * T + pick.len));
  const ids: number[] = x.token_ids[pick.row].slice(0, pick.len);
  writeFileSync(out, svg(s, pick.sel, ids, pick.g.tau!, pick.g.eta!, pick.row, pick.g.groupId, pick.g.p));
  process.stdout.write(`wrote ${out} (row ${pick.row}, group ${pick.g.groupId}, τ = ${pick.g.tau})\n`);
  r.scores.dispose();
  r.selected.dispose();
}

function svg(
  s: number[],
  sel: number[],
  ids: number[],
  tau: number,
  eta: number,
  row: number,
  gid: number,
  p: number,
): string {
  const W = 820;
  const H = 400;
  const m = { l: 64, r: 24, t: 86, b: 70 };
  const hi = Math.max(tau, ...s) * 1.15;
  const lo = Math.min(0, ...s) * 1.15;
  const y = (v: number) => m.t + ((hi - v) / (hi - lo)) * (H - m.t - m.b);
  const step = (W - m.l - m.r) / s.length;
  const f = (v: number) => v.toFixed(2);
  const ticks = niceTicks(lo, hi);
  const el: string[] = [];
  el.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  el.push(
    `<text x="${m.l}" y="24" font-size="15" font-weight="bold">NTHR token scores of one incorrect response (golden "main", row ${row}, group ${gid})</text>`,
  );
  el.push(
    `<text x="${m.l}" y="44" font-size="12" fill="#444">s(t) = Σ over the group's correct tokens u of ⟨g_u, g_t⟩·⟨h_u, h_t⟩; selected when s(t) &gt; τ = β·min s̄ (β = 1)</text>`,
  );
  el.push(
    `<text x="${m.l}" y="62" font-size="12" fill="#444">p = ${f(p)}, so selected tokens get weight η = 2|0.5 − p| = ${f(eta)}; all other tokens keep weight 1</text>`,
  );
  for (const v of ticks) {
    el.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    el.push(`<text x="${m.l - 8}" y="${y(v) + 4}" font-size="11" text-anchor="end" fill="#555">${v}</text>`);
  }
  el.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(0)}" y2="${y(0)}" stroke="#888"/>`);
  s.forEach((v, t) => {
    const x0 = m.l + t * step + step * 0.15;
    const top = Math.min(y(v), y(0));
    const color = sel[t] ? '#e4572e' : '#5b8fc7';
    el.push(
      `<rect x="${x0}" y="${top}" width="${step * 0.7}" height="${Math.abs(y(v) - y(0))}" fill="${color}"/>`,
    );
    el.push(
      `<text x="${x0 + step * 0.35}" y="${v >= 0 ? top - 6 : top + Math.abs(y(v) - y(0)) + 14}" font-size="11" text-anchor="middle">${f(v)}</text>`,
    );
    el.push(
      `<text x="${x0 + step * 0.35}" y="${H - m.b + 18}" font-size="11" text-anchor="middle">t = ${t}</text>`,
    );
    el.push(
      `<text x="${x0 + step * 0.35}" y="${H - m.b + 33}" font-size="11" text-anchor="middle" fill="#555">id ${ids[t]}</text>`,
    );
  });
  el.push(
    `<line x1="${m.l}" x2="${W - m.r}" y1="${y(tau)}" y2="${y(tau)}" stroke="#222" stroke-dasharray="6 4" stroke-width="1.5"/>`,
  );
  el.push(`<text x="${m.l + 4}" y="${y(tau) - 6}" font-size="12" font-weight="bold">τ = ${f(tau)}</text>`);
  const ly = H - 16;
  el.push(
    `<rect x="${m.l}" y="${ly - 10}" width="12" height="12" fill="#e4572e"/><text x="${m.l + 18}" y="${ly}" font-size="12">selected: s(t) &gt; τ, weight η</text>`,
  );
  el.push(
    `<rect x="${m.l + 230}" y="${ly - 10}" width="12" height="12" fill="#5b8fc7"/><text x="${m.l + 248}" y="${ly}" font-size="12">kept: weight 1</text>`,
  );
  el.push(
    `<text x="18" y="${(m.t + H - m.b) / 2}" font-size="12" transform="rotate(-90 18 ${(m.t + H - m.b) / 2})" text-anchor="middle">score s(t)</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">\n${el.join('\n')}\n</svg>\n`;
}

function niceTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((k) => k >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(+v.toFixed(6));
  return out;
}

main().catch((e) => {
  process.stderr.write(`${String(e?.stack ?? e)}\n`);
  process.exit(1);
});
