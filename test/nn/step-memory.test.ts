/**
 * fer-resnet18 training steps reuse pooled GPU memory (no buffer created after the first steps,
 * one queue submit per step), and eval-mode inference with batch norms folded into the
 * convolutions equals the unfolded eval forward.
 */
import { describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { crossEntropy } from '../../src/kernels/cross-entropy/index.js';
import { SGD } from '../../src/optim/index.js';
import { Rng } from '../../src/random.js';
import { expectClose, useDevice } from '../helpers.js';

describe('fer-resnet18 train step resources', () => {
  const device = useDevice();

  it('20 steps of fer-resnet18(4): buffersCreated and bytesInUse stay flat, one submit per step', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 4, seed: 3 });
    const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    const rng = new Rng(4);
    const x = d.tensor(rng.normals(4 * 48 * 48), [4, 1, 48, 48]);
    const labels = Int32Array.from({ length: 4 }, () => rng.int(7));
    const seen: Array<{ created: number; inUse: number; submits: number }> = [];
    for (let step = 0; step < 20; step++) {
      const submits = d.submits;
      d.tidy(() => {
        crossEntropy(model.forward(x), labels).backward();
        opt.step();
        opt.zeroGrad();
      });
      await d.sync();
      const m = d.memory();
      seen.push({ created: m.buffersCreated, inUse: m.bytesInUse, submits: d.submits - submits });
    }
    // Step 1 creates the activations, gradients and momentum buffers; later steps reuse them.
    for (const s of seen.slice(2)) {
      expect(s).toEqual({ created: seen[1]!.created, inUse: seen[1]!.inUse, submits: 1 });
    }
    model.dispose();
    opt.dispose();
  });

  it('eval inference with folded batch norms equals the unfolded eval forward, and follows weight updates', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 4, seed: 5 });
    const opt = new SGD(model.parameters(), { lr: 0.05 });
    const rng = new Rng(6);
    const x = d.tensor(rng.normals(3 * 48 * 48), [3, 1, 48, 48]);
    const step = () => {
      model.train();
      d.tidy(() => {
        crossEntropy(model.forward(x), [1, 2, 3]).backward(); // moves weights and running statistics
        opt.step();
        opt.zeroGrad();
      });
      model.eval();
    };
    for (let round = 0; round < 2; round++) {
      step();
      // With grad recording on, eval mode runs the batch norms unfolded (gradients may be wanted).
      const unfolded = await d.tidy(() => model.forward(x).detach()).toArray();
      const folded = await d.noGrad(() => model.forward(x)).toArray();
      // f32 rounding of the folded weights: O(1) logits agree to 1e-4 relative.
      expectClose(folded, unfolded, { atol: 1e-4, rtol: 1e-3, what: `round ${round} logits` });
    }
    model.dispose();
  });
});
