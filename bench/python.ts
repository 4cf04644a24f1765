/**
 * How the bench scripts run the PyTorch anchors: `/usr/bin/python3` (Debian python3-torch), or
 * `GRPO_LAB_PYTHON`, with OpenBLAS, OpenMP and MKL held to one thread. `torch.set_num_threads(1)`
 * alone does not stop Debian's libopenblas0-pthread from starting its own threads: the anchor's
 * training step measured 72 ms of wall clock for 144 ms of process CPU time (two cores busy) until
 * OPENBLAS_NUM_THREADS=1, after which it takes 90 ms for 90 ms — the one-thread figure to set beside
 * single-threaded tfjs-wasm. A value already in the environment is kept (to measure more threads
 * on purpose).
 */
export const PYTHON = process.env.GRPO_LAB_PYTHON ?? '/usr/bin/python3';

export const pythonEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1',
  OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1',
  MKL_NUM_THREADS: process.env.MKL_NUM_THREADS ?? '1',
});
