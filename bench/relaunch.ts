/**
 * Workspace packages resolve to their TypeScript sources through the `@grpo-lab/source` export
 * condition. A bench script calls this first (and imports workspace packages dynamically after
 * it): when the condition is not set yet, the script is run again once in a child with it, so that
 * `npx tsx bench/<script>.ts` needs no build, and the parent exits with the child's status.
 */
import { spawnSync } from 'node:child_process';

export function relaunchWithSourceCondition(): void {
  if (process.env.GRPO_LAB_BENCH_CHILD === '1') return;
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      GRPO_LAB_BENCH_CHILD: '1',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=@grpo-lab/source`.trim(),
    },
  });
  process.exit(r.status ?? 1);
}
