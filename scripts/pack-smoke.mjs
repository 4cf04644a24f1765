#!/usr/bin/env node
/**
 * Publishing smoke test: for every package, publint its published shape, `npm pack` it, install
 * the tarball alone (with its declared dependencies only; sibling @grpo-lab packages as their own
 * tarballs, since they are not on the registry yet) into a fresh temporary project, and run the
 * README's runnable snippet there. A user who installs one package gets a working package.
 *
 * Usage: node scripts/pack-smoke.mjs [package ...]   (expects `npm run build` first)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const pkgs = readdirSync(join(root, 'packages')).filter((p) => only.length === 0 || only.includes(p));
const packDir = join(root, '.tmp', 'pack');
rmSync(packDir, { recursive: true, force: true });
mkdirSync(packDir, { recursive: true });
const tsxLoader = join(root, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');

const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
const manifest = (p) => JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8'));

// 1. publint + pack every package (dependencies need their tarballs too).
const tarball = {};
for (const p of readdirSync(join(root, 'packages'))) {
  const out = run('npm', ['pack', '--silent', '--pack-destination', packDir], join(root, 'packages', p))
    .trim()
    .split('\n')
    .pop();
  tarball[manifest(p).name] = join(packDir, out);
  if (pkgs.includes(p)) {
    const lint = run(
      join(root, 'node_modules', '.bin', 'publint'),
      ['--strict', join(root, 'packages', p)],
      root,
    );
    console.log(`publint ${p}: ${lint.trim().split('\n').pop()}`);
  }
}

/** @grpo-lab dependencies, transitively. */
function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const m = manifest(name.replace('@grpo-lab/', ''));
  for (const d of Object.keys(m.dependencies ?? {})) if (d.startsWith('@grpo-lab/')) closure(d, seen);
  return seen;
}

/** The README's runnable snippet: the first ```ts or ```js block under a heading containing "Usage" or "Quick start", else the first one. */
function snippet(p) {
  const md = readFileSync(join(root, 'packages', p, 'README.md'), 'utf8');
  const blocks = [...md.matchAll(/```(ts|typescript|js|javascript|mjs)\n([\s\S]*?)```/g)];
  if (blocks.length === 0) throw new Error(`packages/${p}/README.md has no runnable ts/js snippet`);
  const marked = blocks.find(
    (b) => md.lastIndexOf('<!-- snippet -->', b.index) > md.lastIndexOf('```', b.index - 1) - 40,
  );
  return (marked ?? blocks[0])[2];
}

let failed = 0;
for (const p of pkgs) {
  const name = manifest(p).name;
  const dir = mkdtempSync(join(tmpdir(), `grpo-lab-smoke-${p}-`));
  try {
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'smoke', private: true, type: 'module' }),
    );
    const tars = [...closure(name)].map((n) => tarball[n]);
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--silent', ...tars], dir);
    writeFileSync(join(dir, 'snippet.ts'), snippet(p));
    const out = run(process.execPath, ['--import', tsxLoader, 'snippet.ts'], dir);
    console.log(`smoke ${p}: ok (${out.trim().split('\n').length} lines of output)`);
  } catch (e) {
    failed++;
    console.error(`smoke ${p}: FAILED\n${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (failed > 0) {
  console.error(`${failed} package(s) failed the pack smoke test`);
  process.exit(1);
}
console.log(`${pkgs.length} passed, 0 failed`);
