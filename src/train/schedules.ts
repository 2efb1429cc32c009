/**
 * Learning-rate schedules with PyTorch's formulas. `lrAt(step)` gives the learning rate of a
 * global optimizer step for the time-based ones; ReduceLROnPlateau reacts to a metric per epoch.
 */

export type ScheduleSpec =
  | { kind: 'constant' }
  | { kind: 'step'; stepSize: number; gamma?: number }
  | { kind: 'cosine'; warmupEpochs?: number; minLr?: number }
  | { kind: 'one-cycle'; maxLr?: number; pctStart?: number; divFactor?: number; finalDivFactor?: number }
  | { kind: 'plateau'; factor?: number; patience?: number; threshold?: number; mode?: 'min' | 'max'; minLr?: number };

export class LrSchedule {
  /** Current multiplier state of reduce-on-plateau. */
  private plateau = { lr: 0, best: NaN, bad: 0 };

  constructor(
    readonly spec: ScheduleSpec,
    readonly baseLr: number,
    readonly stepsPerEpoch: number,
    readonly epochs: number,
  ) {
    this.plateau.lr = baseLr;
  }

  /** Learning rate for global step `step` (0-based). */
  lrAt(step: number): number {
    const s = this.spec;
    const epoch = Math.floor(step / this.stepsPerEpoch);
    const total = this.stepsPerEpoch * this.epochs;
    switch (s.kind) {
      case 'constant':
        return this.baseLr;
      case 'step': // StepLR, stepped per epoch
        return this.baseLr * (s.gamma ?? 0.1) ** Math.floor(epoch / s.stepSize);
      case 'cosine': {
        // linear warm-up per step, then CosineAnnealingLR over the remaining steps
        const warm = (s.warmupEpochs ?? 0) * this.stepsPerEpoch;
        const minLr = s.minLr ?? 0;
        if (step < warm) return (this.baseLr * (step + 1)) / warm;
        const t = (step - warm) / Math.max(1, total - warm);
        return minLr + ((this.baseLr - minLr) * (1 + Math.cos(Math.PI * Math.min(1, t)))) / 2;
      }
      case 'one-cycle': {
        // OneCycleLR with cosine annealing (three_phase=False)
        const maxLr = s.maxLr ?? this.baseLr;
        const initial = maxLr / (s.divFactor ?? 25);
        const final = initial / (s.finalDivFactor ?? 1e4);
        const up = (s.pctStart ?? 0.3) * total - 1;
        const cos = (a: number, b: number, pct: number) => b + ((a - b) / 2) * (1 + Math.cos(Math.PI * pct));
        if (step <= up) return cos(initial, maxLr, step / up);
        return cos(maxLr, final, Math.min(1, (step - up) / (total - 1 - up)));
      }
      case 'plateau':
        return this.plateau.lr;
    }
  }

  /** Tells reduce-on-plateau the epoch's validation metric (no-op for the others). */
  observe(metric: number): void {
    const s = this.spec;
    if (s.kind !== 'plateau') return;
    const mode = s.mode ?? 'max';
    const threshold = s.threshold ?? 1e-4;
    const p = this.plateau;
    // PyTorch's default threshold_mode='rel'
    const better = Number.isNaN(p.best) || (mode === 'max' ? metric > p.best * (1 + threshold) : metric < p.best * (1 - threshold));
    if (better) {
      p.best = metric;
      p.bad = 0;
    } else if (++p.bad > (s.patience ?? 10)) {
      p.lr = Math.max(s.minLr ?? 0, p.lr * (s.factor ?? 0.1));
      p.bad = 0;
    }
  }

  /** Serialisable state (for resume). */
  state(): unknown {
    return { ...this.plateau };
  }

  loadState(state: unknown): void {
    if (state && typeof state === 'object') Object.assign(this.plateau, state);
  }
}
