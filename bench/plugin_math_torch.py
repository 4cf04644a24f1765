"""PyTorch side of bench/plugin_math.ts: GRPO advantage + verl `vanilla` clipped loss (dual clip,
0.2/0.28) + token-mean + k3 KL (beta 0.001) + metrics, forward and forward+backward (grad wrt
log_prob), B=256 x T=1024, float32, written as verl's core_algos.py writes it.
Prints one JSON line per phase; ms_min (the fastest repeat) is the figure of record, as on the tfjs
side (the CPU of the benchmark machine is intermittently stolen, so medians measure the stalls).
Usage: /usr/bin/python3 bench/plugin_math_torch.py [reps, default 30]"""
import json, sys, time
import torch

B, T, G = 256, 1024, 8
REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 30

i = torch.arange(B, dtype=torch.float64)[:, None]
t = torch.arange(T, dtype=torch.float64)[None, :]
lens = 256 + (torch.arange(B) * 97) % 769
mask = (torch.arange(T)[None, :] < lens[:, None]).float()
old = (-0.2 - 3 * ((i * 131 + t * 17) % 1000) / 1000).float()
logp0 = (old.double() + 0.4 * (((i * 37 + t * 101) % 1000) / 1000 - 0.5)).float()
ref = (old.double() + 0.6 * (((i * 53 + t * 29) % 1000) / 1000 - 0.5)).float()
rewards = torch.tensor([1.0 if (k * 7) % 3 == 0 else 0.0 for k in range(B)])
group = torch.arange(B) // G


def masked_mean(x, m):
    return (x * m).sum() / m.sum().clamp(min=1)


def step(logp):
    # GRPO advantage (verl compute_grpo_outcome_advantage, vectorised over equal-size groups)
    r = rewards.view(-1, G)
    adv = ((r - r.mean(-1, keepdim=True)) / (r.std(-1, keepdim=True) + 1e-6)).view(-1)
    A = adv[:, None] * mask
    # verl compute_policy_loss_vanilla
    neg_kl = torch.clamp(logp - old, -20.0, 20.0)
    ratio = torch.exp(neg_kl)
    ppo_kl = masked_mean(-neg_kl, mask)
    l1 = -A * ratio
    l2 = -A * torch.clamp(ratio, 0.8, 1.28)
    c1 = torch.maximum(l1, l2)
    pg_clipfrac = masked_mean(torch.gt(l2, l1).float(), mask)
    l3 = -A * 3.0
    c2 = torch.min(l3, c1)
    pg_clipfrac_lower = masked_mean(torch.gt(c1, l3) * (A < 0).float(), mask)
    pg = torch.where(A < 0, c2, c1)
    pg_loss = masked_mean(pg, mask)
    # k3 KL in the loss (verl kl_penalty low_var_kl) + token-mean
    kl = torch.clamp(ref - logp, -20, 20)
    kld = torch.clamp(torch.exp(kl) - kl - 1, -10, 10)
    kl_loss = masked_mean(kld, mask)
    loss = pg_loss + 0.001 * kl_loss
    return loss, [pg_clipfrac, ppo_kl, pg_clipfrac_lower, kl_loss, pg_loss]


for phase in ("forward", "forward+backward"):
    ms, cpu = [], []
    for k in range(REPS + 3):
        logp = logp0.clone().requires_grad_(phase != "forward")
        t0, c0 = time.perf_counter(), time.process_time()
        if phase == "forward":
            with torch.no_grad():
                loss, metrics = step(logp)
        else:
            loss, metrics = step(logp)
            loss.backward()
            _ = logp.grad
        value = loss.item()
        _ = [m.item() for m in metrics]
        if k >= 3:
            ms.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    ms.sort()
    cpu.sort()
    print(json.dumps({"bench": "plugin_math", "impl": "torch", "backend": "cpu", "threads": torch.get_num_threads(),
                      "phase": phase, "B": B, "T": T, "ms_min": round(ms[0], 3), "ms_median": round(ms[len(ms) // 2], 3),
                      "cpu_ms_min": round(cpu[0], 3), "cpu_ms_median": round(cpu[len(cpu) // 2], 3),
                      "reps": len(ms), "loss": round(value, 6), "torch": torch.__version__,
                      "ms_all": [round(v, 3) for v in ms], "cpu_ms_all": [round(v, 3) for v in cpu]}), flush=True)
