#!/usr/bin/env node
/**
 * Publishing smoke test: a user who installs one package gets a working package.
 *
 * 1. `npm pack` every workspace package (one npm call) into .tmp/pack.
 * 2. publint, strict, on each tarball (the files npm really publishes): any message fails.
 * 3. For each package, a fresh temporary project outside the repo that installs the tarball alone
 *    with its declared dependencies only (registry packages from the npm registry, one shared npm
 *    cache, `--prefer-offline`; sibling @grpo-lab packages as their own tarballs, since they are
 *    not on the registry yet; optional peers such as tfjs-node or webgpu are not installed), then
 *    - runs the README's runnable snippet with plain `node` (ESM, no loader, no source condition):
 *      the block right after a `<!-- smoke -->` comment, else the first ```js block;
 *    - `require()`s the package (the CommonJS build);
 *    - runs each `bin` of the package through `npx <bin> --help`.
 *
 * Usage: node scripts/pack-smoke.mjs [package ...]   (after `npm run build`; `npm run smoke:pack` does both)
 * SMOKE_KEEP=1 keeps the temporary projects; SMOKE_TIMEOUT_S bounds each snippet [600].
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  mkdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const started = performance.now();
const root = resolve(import.meta.dirname, '..');
const all = readdirSync(join(root, 'packages')).filter((p) =>
  existsSync(join(root, 'packages', p, 'package.json')),
);
const only = process.argv.slice(2);
for (const p of only)
  if (!all.includes(p)) throw new Error(`unknown package "${p}" (one of ${all.join(', ')})`);
const pkgs = only.length > 0 ? only : all;
const packDir = join(root, '.tmp', 'pack');
const timeoutMs = Number(process.env.SMOKE_TIMEOUT_S ?? 600) * 1000;
const manifest = (p) => JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8'));
const dirOf = Object.fromEntries(all.map((p) => [manifest(p).name, p]));
const secs = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

// The children see neither the repo's source condition nor the npm-run environment of this script.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^npm_/i.test(k)),
);
const exec = promisify(execFile);
const run = async (cmd, args, cwd) => {
  try {
    return await exec(cmd, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = new Error(`\`${[cmd, ...args].join(' ')}\` failed (${e.code ?? e.signal})`);
    err.output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    throw err;
  }
};
const tail = (s, n) => s.trimEnd().split('\n').slice(-n).join('\n');

for (const p of all)
  if (!existsSync(join(root, 'packages', p, 'dist')))
    throw new Error(`packages/${p}/dist is missing: run \`npm run build\` first (or \`npm run smoke:pack\`)`);

// 1. Pack every package: the ones under test need their siblings' tarballs too.
let t0 = performance.now();
rmSync(packDir, { recursive: true, force: true });
mkdirSync(packDir, { recursive: true });
const packed = JSON.parse(
  (
    await run(
      'npm',
      ['pack', '--workspaces', '--json', '--ignore-scripts', '--pack-destination', packDir],
      root,
    )
  ).stdout,
);
const tarball = Object.fromEntries(packed.map((t) => [t.name, join(packDir, t.filename)]));
console.log(`packed ${packed.length} packages in ${secs(t0)}`);

// 2. publint --strict on what is published.
const failed = new Set();
for (const p of pkgs) {
  const name = manifest(p).name;
  const data = readFileSync(tarball[name]);
  const { messages, pkg } = await publint({
    pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
    strict: true,
  });
  const files = packed.find((t) => t.name === name).files.length;
  if (messages.length === 0) console.log(`publint ${p}: clean (${files} files)`);
  else {
    failed.add(p);
    console.error(`publint ${p}: ${messages.length} message(s)`);
    for (const m of messages) console.error(`  ${m.type}: ${formatMessage(m, pkg, { color: false })}`);
  }
}

/** The package and its @grpo-lab dependencies, transitively. */
function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  for (const d of Object.keys(manifest(dirOf[name]).dependencies ?? {}))
    if (d.startsWith('@grpo-lab/')) closure(d, seen);
  return seen;
}

/** The README's runnable snippet: the block after `<!-- smoke -->`, else the first ```js block. */
function snippet(p) {
  const md = readFileSync(join(root, 'packages', p, 'README.md'), 'utf8');
  const marked = /<!-- smoke -->\s*```(?:js|mjs|javascript)\n([\s\S]*?)```/.exec(md);
  const first = /```(?:js|mjs|javascript)\n([\s\S]*?)```/.exec(md);
  const block = marked ?? first;
  if (!block) throw new Error(`packages/${p}/README.md has no runnable \`\`\`js snippet`);
  return block[1];
}

// 3. Install each package alone and use it as a user would.
for (const p of pkgs) {
  t0 = performance.now();
  const m = manifest(p);
  const dir = mkdtempSync(join(tmpdir(), `grpo-lab-smoke-${p}-`));
  try {
    const code = snippet(p);
    const deps = Object.fromEntries([...closure(m.name)].map((n) => [n, `file:${tarball[n]}`]));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: `smoke-${p}`, private: true, type: 'module', dependencies: deps }, null, 2),
    );
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error'],
      dir,
    );
    const tInstall = secs(t0);
    writeFileSync(join(dir, 'snippet.mjs'), code);
    const out = await run(process.execPath, ['snippet.mjs'], dir);
    await run(
      process.execPath,
      ['-e', `const m = require(${JSON.stringify(m.name)}); if (!Object.keys(m).length) process.exit(1);`],
      dir,
    );
    for (const bin of Object.keys(m.bin ?? {})) {
      const help = await run('npx', ['--no', bin, '--help'], dir);
      if (!/usage/i.test(help.stdout))
        throw new Error(`\`npx ${bin} --help\` printed no usage:\n${help.stdout}`);
      console.log(`smoke ${p}: \`npx ${bin} --help\` ok`);
    }
    console.log(`smoke ${p}: ok (install ${tInstall}, total ${secs(t0)}); snippet output ends:`);
    console.log(`  ${tail(out.stdout, 4).replaceAll('\n', '\n  ')}`);
  } catch (e) {
    failed.add(p);
    console.error(
      `smoke ${p}: FAILED after ${secs(t0)} in ${dir}\n${tail(e.output ?? '', 40)}\n${e.message}`,
    );
  } finally {
    if (!process.env.SMOKE_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`pack smoke: ${pkgs.length - failed.size} of ${pkgs.length} packages ok in ${secs(started)}`);
if (failed.size > 0) {
  console.error(`failed: ${[...failed].join(', ')}`);
  process.exit(1);
}
