/** The report as a Markdown summary for terminals and READMEs. */
import type { ReportModel } from './aggregate.js';
import { fmt, fmtCi, fmtP, fmtSigned } from './format.js';

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function renderMarkdown(m: ReportModel): string {
  const out: string[] = [];
  out.push(`# ${m.name} — grpo-lab report`, '');
  out.push(
    `Methods: ${m.methods.map((x) => `${x} (${m.seeds[x]?.length ?? 0} seeds)`).join(', ')}. ` +
      `Baseline: **${m.baseline}**. Runs finished: ${m.runsFinished}/${m.runsTotal}.`,
    '',
  );
  out.push('## Final metrics', '');
  out.push(
    `Mean ± 95 % CI over seeds; Δ paired by seed against ${m.baseline}; two-sided p from a paired t-test and an exact Wilcoxon signed-rank test.`,
    '',
  );
  out.push(
    `| metric | method | seeds | mean ± 95 % CI | Δ vs ${cell(m.baseline)} | paired t p | Wilcoxon p |`,
  );
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const f of m.finals) {
    for (const p of f.perMethod) {
      const v = p.vsBaseline;
      out.push(
        `| ${cell(f.key)} | ${cell(p.method)} | ${p.ci.n} | ${fmtCi(p.ci)} | ${v ? fmtSigned(v.diff) : '–'} | ${v ? fmtP(v.tTest) : '–'} | ${v ? fmtP(v.wilcoxon) : '–'} |`,
      );
    }
  }
  out.push('');
  if (m.lld.length > 0) {
    out.push('## Lazy likelihood displacement', '');
    out.push(
      m.lldSource === 'probe'
        ? 'Δ(x) per question from the paired probe.'
        : 'Per-step mean Δ(x) over mixed groups, pooled over seeds.',
      '',
    );
    out.push(
      '| method | values | q1 | median | q3 | fraction < 0 |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const d of m.lld)
      out.push(
        `| ${cell(d.method)} | ${d.values.length} | ${fmt(d.q1)} | ${fmt(d.median)} | ${fmt(d.q3)} | ${fmt(d.fracNeg)} |`,
      );
    out.push('');
  }
  return out.join('\n');
}
