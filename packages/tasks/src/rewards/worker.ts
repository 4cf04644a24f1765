/**
 * A reward function run in a worker thread, so that even a synchronous verifier that hangs can be
 * stopped: on timeout the thread is terminated (and a fresh one started for the next sample).
 * The function is named by module and export (functions cannot be sent to a thread):
 *   const reward = workerReward(new URL('./verifier.mjs', import.meta.url), { exportName: 'reward' });
 *   const { rewards, errors } = await scoreAll(samples, reward); // timeouts come back as kind 'timeout'
 *   await reward.close();
 * The module must be loadable by plain Node (JavaScript, or TypeScript under a loader Node runs
 * with). Samples are scored one at a time in one thread, each with its own `timeoutMs` [2000],
 * counted from the moment the sample is sent to a thread whose module has loaded (thread start-up
 * is not charged to a sample). A rejection/throw in the thread, or a module that does not load or
 * lacks the export, is a 'throw' error. Node only (node:worker_threads).
 */
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { checkKeys, checkNumber, type RewardFunction, type RewardSample } from '@grpo-lab/core';
import { RewardTimeoutError, SELF_TIMED } from './safe.js';

export interface WorkerRewardOptions {
  /** Export of the module that is the reward function ['default']. */
  exportName?: string;
  /** Per-sample limit in ms; the thread is terminated when it is exceeded [2000]. */
  timeoutMs?: number;
}

export type WorkerReward = RewardFunction & { close(): Promise<void> };

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url).then(
  (m) => {
    const f = workerData.exportName === 'default' ? (m.default ?? m) : m[workerData.exportName];
    if (typeof f !== 'function') throw new Error('export "' + workerData.exportName + '" of ' + workerData.url + ' is not a function');
    parentPort.on('message', async ({ id, sample }) => {
      try {
        parentPort.postMessage({ id, value: await f(sample) });
      } catch (e) {
        parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
      }
    });
    parentPort.postMessage({ ready: true });
  },
).catch((e) => parentPort.postMessage({ ready: false, error: e instanceof Error ? e.message : String(e) }));`;

interface Job {
  id: number;
  sample: RewardSample;
  resolve: (v: number) => void;
  reject: (e: unknown) => void;
}

export function workerReward(module: string | URL, options: WorkerRewardOptions = {}): WorkerReward {
  checkKeys('workerReward', options, ['exportName', 'timeoutMs']);
  const timeoutMs = checkNumber('workerReward.timeoutMs', options.timeoutMs ?? 2000, {
    min: 0,
    exclusiveMin: true,
  });
  const exportName = options.exportName ?? 'default';
  const url =
    module instanceof URL ? module.href : /^[a-z]+:/i.test(module) ? module : pathToFileURL(module).href;
  const queue: Job[] = [];
  let worker: Worker | null = null;
  let ready = false; // the module has loaded in `worker`: only then does a sample's clock start
  let current: { job: Job; timer: ReturnType<typeof setTimeout> } | null = null;
  let nextId = 0;

  const settle = (fn: (job: Job) => void) => {
    if (!current) return;
    clearTimeout(current.timer);
    const { job } = current;
    current = null;
    fn(job);
    pump();
  };
  const kill = () => {
    const w = worker;
    worker = null;
    ready = false;
    if (w) void w.terminate();
  };
  const spawn = (): Worker => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { url, exportName } });
    w.unref();
    w.on('message', (m: { id?: number; ready?: boolean; value?: number; error?: string }) => {
      if (worker !== w) return; // a terminated thread's late message
      if (m.ready !== undefined) {
        if (m.ready) {
          ready = true;
          pump();
        } else {
          kill();
          const job = queue.shift(); // the module does not load: fail the sample that was waiting
          job?.reject(new Error(m.error));
          pump();
        }
        return;
      }
      if (current?.job.id !== m.id) return;
      settle((job) =>
        m.error !== undefined ? job.reject(new Error(m.error)) : job.resolve(m.value as number),
      );
    });
    w.on('error', (e) => {
      if (worker !== w) return;
      kill();
      if (current) settle((job) => job.reject(e));
      else queue.shift()?.reject(e);
    });
    return w;
  };
  const pump = () => {
    if (current || queue.length === 0) return;
    if (!worker) worker = spawn();
    if (!ready) return; // pump() runs again on the worker's ready message
    const job = queue.shift()!;
    const timer = setTimeout(() => {
      kill();
      settle((j) => j.reject(new RewardTimeoutError(`no result within ${timeoutMs} ms (worker terminated)`)));
    }, timeoutMs);
    current = { job, timer };
    worker.postMessage({ id: job.id, sample: { ...job.sample } });
  };

  const reward = ((sample: RewardSample) =>
    new Promise<number>((resolve, reject) => {
      queue.push({ id: nextId++, sample, resolve, reject });
      pump();
    })) as WorkerReward;
  Object.defineProperty(reward, SELF_TIMED, { value: true });
  reward.close = async () => {
    for (const job of queue.splice(0)) job.reject(new Error('workerReward closed'));
    settle((job) => job.reject(new Error('workerReward closed')));
    const w = worker;
    worker = null;
    ready = false;
    if (w) await w.terminate();
  };
  return reward;
}
