/**
 * Progress of a training run: the Logger train() writes its lines to, with a per-epoch progress
 * bar on a terminal and a plain line about every tenth of an epoch otherwise, the ETA clock, and
 * the line each epoch ends with.
 */
import cliProgress from 'cli-progress';
import type { EpochLog } from './run-state.js';
import type { Validation } from './trainer.js';

/** Receives progress lines; may offer a per-epoch progress bar. */
export type Logger = ((line: string) => void) & {
  bar?: (total: number, epoch: number, epochs: number) => { update(v: number, p: Record<string, string>): void; stop(): void };
};

/** A progress bar on a terminal, plain lines otherwise. */
export function defaultLogger(): Logger {
  const log: Logger = (line: string) => console.log(line);
  if (!process.stdout.isTTY) {
    // Logs (nohup, CI): a plain line about every tenth of an epoch.
    log.bar = (total, epoch, epochs) => {
      const every = Math.max(1, Math.round(total / 10));
      let next = every;
      const eta = etaClock(total);
      return {
        update(v, p) {
          const left = eta(v);
          if (v < next || p.loss === '-') return;
          next = (Math.floor(v / every) + 1) * every;
          console.log(`epoch ${epoch}/${epochs}  step ${v}/${total}  loss ${p.loss}  ${p.ips} img/s  ETA ${left}`);
        },
        stop() {},
      };
    };
  } else {
    log.bar = (total, epoch, epochs) => {
      const bar = new cliProgress.SingleBar(
        { format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} steps | loss {loss} | {ips} img/s | ETA {eta_left}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      const eta = etaClock(total);
      bar.start(total, 0, { loss: '-', ips: '-', eta_left: '-' });
      return {
        update: (v, p) => bar.update(v, { ...p, eta_left: eta(v) }),
        stop: () => bar.stop(),
      };
    };
  }
  return log;
}

/**
 * Time left in an epoch of `total` steps, from the pace since the first step seen (a resumed
 * epoch starts mid-way): `eta(step)` gives '4m05s', or '-' before any step has been timed.
 */
export function etaClock(total: number, now: () => number = () => performance.now()): (step: number) => string {
  const start = now();
  let first = -1;
  return (step) => {
    if (first < 0) first = step;
    if (step <= first) return '-';
    const perStep = (now() - start) / 1000 / (step - first);
    return formatSeconds((total - step) * perStep);
  };
}

/** 1h02m, 4m05s, 12s. */
function formatSeconds(sec: number): string {
  const s = Math.round(sec);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** "epoch 3/10  loss 1.2345  val acc 45.67%  val macro F1 0.4321  123.4 img/s  *best". */
export function epochLine(e: EpochLog, epochs: number, v: Validation, hasEma: boolean): string {
  const percent = (x: number | null) => (x === null ? '-' : (100 * x).toFixed(2) + '%');
  return (
    `epoch ${e.epoch}/${epochs}  loss ${e.trainLoss.toFixed(4)}  ` +
    `val acc ${percent(e.valAccuracy)}  ` +
    `val macro F1 ${e.valMacroF1 === null ? '-' : e.valMacroF1.toFixed(4)}  ` +
    (v.ema ? `EMA val acc ${percent(v.ema.accuracy)}  ` : '') +
    `${e.imagesPerSecond.toFixed(1)} img/s${v.isBest ? `  *best${hasEma ? ` (${v.selected})` : ''}` : ''}`
  );
}
