import { defineConfig } from 'tsup';
import { base } from '../../tsup.base';

/** The library entry plus the `grpo-lab` executable (dist/bin.js keeps its shebang); shims give the CJS build import.meta.url. */
export default defineConfig({ ...base, entry: ['src/index.ts', 'src/bin.ts'], shims: true });
