/**
 * Writes docs/plugins/<name>.md, one page per registered plugin, from the plugin packages' own
 * sources: the file's header comment (summary, formula, paper, reference implementation), the
 * factory's doc comment and its options interface with documented defaults.
 *
 *   npx tsx --conditions=@grpo-lab/source docs/tools/plugin-pages.ts
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { advantagePlugins } from '@grpo-lab/advantages';
import { clippingPlugins } from '@grpo-lab/clipping';
import { aggregatorPlugins, klPlugins } from '@grpo-lab/objectives';
import { reweighterPlugins } from '@grpo-lab/reweighters';

const root = new URL('../../', import.meta.url).pathname;
const families: [string, string, string, Record<string, unknown>][] = [
  ['advantage', 'advantages', 'Advantage estimator', advantagePlugins],
  ['reweighter', 'reweighters', 'Token re-weighter', reweighterPlugins],
  ['policyLoss', 'clipping', 'Clipping policy (policy loss)', clippingPlugins],
  ['aggregator', 'objectives', 'Loss aggregation', aggregatorPlugins],
  ['kl', 'objectives', 'KL estimator', klPlugins],
];
const configKey: Record<string, string> = {
  advantage: 'advantage',
  reweighter: 'reweighter',
  policyLoss: 'policyLoss',
  aggregator: 'aggregation',
  kl: 'kl: { coef: 0.01, estimator',
};

function sources(pkg: string): { file: string; text: string }[] {
  const dir = join(root, 'packages', pkg, 'src');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => ({ file: `packages/${pkg}/src/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
}
const header = (t: string) =>
  /^\/\*\*([\s\S]*?)\*\//
    .exec(t)?.[1]
    ?.split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim() ?? '';
function docBefore(t: string, idx: number): string {
  const before = t.slice(0, idx);
  const m = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(before);
  return m
    ? m[1]!
        .split('\n')
        .map((l) => l.replace(/^\s*\* ?/, ''))
        .join('\n')
        .trim()
    : '';
}
function optionsInterface(t: string, name: string): string {
  const m = new RegExp(`export (interface|type) ${name}\\b[\\s\\S]*?\\n}`).exec(t);
  return m ? m[0] : '';
}

const index: string[] = [
  '# Plugins',
  '',
  'One page per plugin, generated from the packages’ sources by `docs/tools/plugin-pages.ts`.',
  '',
];
for (const [kind, pkg, title, record] of families) {
  index.push(`## ${title}s (\`${kind}\`, @grpo-lab/${pkg})`, '');
  const files = sources(pkg);
  for (const name of Object.keys(record)) {
    const factory = (record[name] as { name?: string }).name ?? name;
    const re = new RegExp(`export (?:function|const) ${factory.replace(/[^A-Za-z0-9_]/g, '')}\\b`);
    const src = files.find((f) => re.test(f.text));
    const idx = src ? src.text.search(re) : -1;
    const optName = src
      ? /\(\s*options:\s*([A-Za-z]+Options)/.exec(src.text.slice(idx, idx + 300))?.[1]
      : undefined;
    const opts =
      src && optName ? (files.map((f) => optionsInterface(f.text, optName)).find((x) => x) ?? '') : '';
    const key = configKey[kind]!;
    const page = [
      `# \`${name}\` — ${title.toLowerCase()}`,
      '',
      `Package: \`@grpo-lab/${pkg}\` · kind: \`${kind}\` · source: [${src?.file ?? '?'}](../../${src?.file ?? ''})`,
      '',
      '## What it computes',
      '',
      '```text',
      src ? header(src.text) : '(source not found)',
      '```',
      ...(src && docBefore(src.text, idx) ? ['', docBefore(src.text, idx)] : []),
      '',
      '## Options',
      '',
      opts ? '```ts\n' + opts + '\n```' : 'No options beyond those of its family (see the source).',
      '',
      'Unknown option keys are rejected with the list of allowed ones.',
      '',
      '## Use',
      '',
      'In a config (YAML):',
      '',
      '```yaml',
      kind === 'kl' ? `kl: { coef: 0.01, estimator: ${name} }` : `${key}: { name: ${name} }`,
      '```',
      '',
      'In code:',
      '',
      '```ts',
      `import { ${factory.replace(/[^A-Za-z0-9_]/g, '') || name} } from '@grpo-lab/${pkg}';`,
      '```',
      '',
    ].join('\n');
    writeFileSync(join(root, 'docs', 'plugins', `${name}.md`), page);
    index.push(`- [\`${name}\`](${name}.md)`);
  }
  index.push('');
}
index.push(
  '## Group filter (`groupFilter`, @grpo-lab/trainer)',
  '',
  '- `dynamicSampling` — DAPO dynamic sampling: drop groups whose rewards are all equal and refill (see [concepts](../concepts.md)).',
  '',
);
writeFileSync(join(root, 'docs', 'plugins', 'README.md'), index.join('\n'));
console.log('wrote', index.filter((l) => l.startsWith('- [')).length, 'plugin pages');
