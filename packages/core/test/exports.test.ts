/**
 * Pins @grpo-lab/core's exact runtime export list: adding, renaming or removing an export is a
 * deliberate change (update this list and say so in a changeset).
 */
import { expect, it } from 'vitest';

it('exact export list', async () => {
  expect(Object.keys(await import('@grpo-lab/core')).sort()).toEqual([
    'BACKENDS',
    'GrpoLabError',
    'ValidationError',
    'applyMask',
    'batchFromHost',
    'batchStats',
    'broadcastRows',
    'checkBatch',
    'checkKeys',
    'checkNumber',
    'checkOneOf',
    'clampedLogRatio',
    'createRegistry',
    'createRng',
    'denseLogits',
    'disposeBatch',
    'disposeMetrics',
    'embeddingLookup',
    'fmtShape',
    'groupStats',
    'hashSeed',
    'headLogits',
    'hostExp',
    'hostValues',
    'installGradientFixes',
    'isHostBackend',
    'maskCount',
    'maskedFraction',
    'maskedMean',
    'maskedSum',
    'maskedVar',
    'maskedWhiten',
    'matMulT',
    'oneHotF',
    'pickLastAxis',
    'readMetrics',
    'safeAddN',
    'sameGroupMatrix',
    'selectBackend',
    'silentLogger',
    'stopGradient',
    'straightThrough',
    'swapLast2',
    'validateBatch',
  ]);
});
