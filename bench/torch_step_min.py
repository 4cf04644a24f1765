"""Per-step timing of the PyTorch training-step anchor (../shared/bench/torch_step_bench.py).

The anchor prints the mean over its steps. On a machine whose CPU is intermittently taken away
(a fixed 51 ms loop measured at 50-650 ms on the 2-core CI-class machine), a mean mixes the step
with the stalls, so the figure of record on both sides is the fastest step (and the median is
shown beside it). This runs the anchor's own model and step code unchanged (everything before its
timing loop), then times each step separately.
Usage: /usr/bin/python3 bench/torch_step_min.py <path to torch_step_bench.py> [steps]"""
import json, sys, time

src_path = sys.argv[1]
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
src = open(src_path).read()
cut = src.index("for _ in range(3): step()")
sys.argv = [src_path]  # the anchor reads its own argv
ns = {"__name__": "anchor"}
exec(compile(src[:cut], src_path, "exec"), ns)
step, torch, B, T = ns["step"], ns["torch"], ns["B"], ns["T"]
for _ in range(3):
    step()
ms, cpu = [], []
for _ in range(steps):
    t0, c0 = time.perf_counter(), time.process_time()
    step()
    ms.append((time.perf_counter() - t0) * 1000)
    cpu.append((time.process_time() - c0) * 1000)
ms.sort()
cpu.sort()
best = ms[0]
print(json.dumps({"impl": "pytorch-cpu", "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "steps": steps, "train_step_ms_min": round(best, 2), "train_step_ms_median": round(ms[len(ms) // 2], 2),
                  "train_tokens_per_s": round(B * T * 1000 / best),
                  "train_tokens_per_s_median": round(B * T * 1000 / ms[len(ms) // 2]),
                  "cpu_step_ms_min": round(cpu[0], 2)}))
