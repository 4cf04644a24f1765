/** Reads a plugin's metrics to numbers with one batched host read, disposing the tensors. */
import * as tf from '@tensorflow/tfjs';
import type { Metrics } from './plugins.js';

export async function readMetrics(m: Metrics, prefix = ''): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const keys: string[] = [];
  const ts: tf.Tensor[] = [];
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'number') out[prefix + k] = v;
    else {
      keys.push(prefix + k);
      ts.push(tf.reshape(v, [1]));
    }
  }
  if (ts.length > 0) {
    const packed = tf.concat(ts);
    const vals = await packed.data();
    packed.dispose();
    ts.forEach((t) => t.dispose());
    keys.forEach((k, i) => (out[k] = vals[i]!));
  }
  for (const v of Object.values(m)) if (typeof v !== 'number') v.dispose();
  return out;
}

/** Disposes the tensor metrics without reading them. */
export function disposeMetrics(m: Metrics): void {
  for (const v of Object.values(m)) if (typeof v !== 'number') v.dispose();
}
