/**
 * Tensor backend selection (SPEC §6): `auto | node-gpu | node | webgpu | wasm | cpu`. `auto` takes
 * the first that loads, in that order. The optional ones are optional peer dependencies, loaded by
 * guarded dynamic import with a message that says what to install. The workarounds for known
 * backend traps (wasm matMul/gather gradients) are installed here, once.
 */
import * as tf from '@tensorflow/tfjs';
import { GrpoLabError } from './errors.js';
import type { Logger } from './plugins.js';
import { silentLogger } from './plugins.js';
import { installGradientFixes } from './ops.js';

export const BACKENDS = ['auto', 'node-gpu', 'node', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** tfjs backend name registered by each choice. */
const TFJS_NAME: Record<Exclude<BackendName, 'auto'>, string> = {
  'node-gpu': 'tensorflow',
  node: 'tensorflow',
  webgpu: 'webgpu',
  wasm: 'wasm',
  cpu: 'cpu',
};

const INSTALL_HINT: Record<Exclude<BackendName, 'auto'>, string> = {
  'node-gpu':
    'npm install @tensorflow/tfjs-node-gpu@4.22.0 (needs CUDA 11.2 + cuDNN 8.1 and downloads libtensorflow at install time; see docs/backends.md)',
  node: 'npm install @tensorflow/tfjs-node@4.22.0 (downloads libtensorflow at install time; see docs/backends.md)',
  webgpu:
    'npm install webgpu @tensorflow/tfjs-backend-webgpu@4.22.0 and a Vulkan driver (on Debian: mesa-vulkan-drivers from bookworm-backports, or the NVIDIA driver)',
  wasm: 'npm install @tensorflow/tfjs-backend-wasm@4.22.0',
  cpu: '(built into @tensorflow/tfjs)',
};

/** Dynamic import that bundlers and tsc leave alone (the module may not be installed). */
const importOptional = (name: string): Promise<any> => import(/* @vite-ignore */ name);

/** Adapter descriptions of software (CPU) WebGPU implementations. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software/i;

async function load(choice: Exclude<BackendName, 'auto'>, auto: boolean): Promise<void> {
  switch (choice) {
    case 'node-gpu':
      await importOptional('@tensorflow/tfjs-node-gpu');
      break;
    case 'node':
      await importOptional('@tensorflow/tfjs-node');
      break;
    case 'webgpu': {
      const g = globalThis as any;
      if (!g.navigator?.gpu) {
        const dawn = await importOptional('webgpu');
        Object.assign(g, dawn.globals);
        const gpu = dawn.create([]);
        if (g.navigator === undefined) g.navigator = { gpu };
        else Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
      }
      if (auto) {
        // `auto` wants a real GPU: a software rasteriser (Mesa lavapipe) is far slower than wasm.
        const adapter = await g.navigator.gpu.requestAdapter();
        if (!adapter) throw new GrpoLabError('no WebGPU adapter (no Vulkan driver found)');
        const info = adapter.info ?? {};
        const desc = [info.vendor, info.architecture, info.device, info.description]
          .filter(Boolean)
          .join(' ');
        if (adapter.isFallbackAdapter || SOFTWARE_ADAPTER.test(desc))
          throw new GrpoLabError(
            `only a software WebGPU adapter (${desc || 'fallback'}); select "webgpu" explicitly to use it`,
          );
      }
      await importOptional('@tensorflow/tfjs-backend-webgpu');
      break;
    }
    case 'wasm':
      await importOptional('@tensorflow/tfjs-backend-wasm');
      break;
    case 'cpu':
      break;
  }
  const ok = await tf.setBackend(TFJS_NAME[choice]);
  if (!ok) throw new GrpoLabError(`tfjs could not initialise the ${choice} backend`);
  await tf.ready();
}

export interface SelectedBackend {
  /** The grpo-lab name that loaded. */
  readonly name: Exclude<BackendName, 'auto'>;
  /** The tfjs backend name (`tf.getBackend()`). */
  readonly tfjs: string;
  /** Why each earlier choice of `auto` was skipped. */
  readonly skipped: Readonly<Record<string, string>>;
}

/**
 * Selects and initialises a backend. An explicit choice that cannot load throws with what to install;
 * `auto` logs each skipped choice at debug level and falls back to the next.
 */
export async function selectBackend(
  name: BackendName = 'auto',
  opts: { logger?: Logger } = {},
): Promise<SelectedBackend> {
  const logger = opts.logger ?? silentLogger;
  if (!(BACKENDS as readonly string[]).includes(name))
    throw new GrpoLabError(`backend: expected one of ${BACKENDS.join(', ')}, got ${JSON.stringify(name)}`);
  installGradientFixes();
  const order = name === 'auto' ? (['node-gpu', 'node', 'webgpu', 'wasm', 'cpu'] as const) : [name];
  const skipped: Record<string, string> = {};
  for (const choice of order) {
    try {
      await load(choice, name === 'auto');
      logger.debug(`backend: using ${choice}`, { skipped });
      return { name: choice, tfjs: tf.getBackend(), skipped };
    } catch (e) {
      const why = (e as Error).message.split('\n')[0] ?? String(e);
      skipped[choice] = why;
      if (name !== 'auto')
        throw new GrpoLabError(
          `backend "${choice}" is not available (${why}). To use it: ${INSTALL_HINT[choice]}`,
        );
      logger.debug(`backend: ${choice} skipped: ${why}`);
    }
  }
  throw new GrpoLabError(`no tensor backend could load: ${JSON.stringify(skipped)}`);
}
