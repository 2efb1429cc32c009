/**
 * Running a model over a dataset for drift analysis: embeddings and class probabilities, in
 * batches on the GPU, without gradients and without changing the model.
 */
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { Module, inEvalMode } from '../nn/module.js';
import type { FerDataset } from '../data/dataset.js';
import { GpuImages, augmentBatch, identityParams, PARAMS_PER_IMAGE } from '../data/augment/index.js';

/**
 * What driftReport needs from a model: PyTorch-style `features` ([N, D]) and `forward` (logits [N, K]).
 * A fer-gpu {@link Module} (FerResNet18) runs in eval mode and is given back in the mode it was in;
 * any other object is called as it is.
 */
export interface DriftModel {
  features(x: Tensor): Tensor;
  forward(x: Tensor): Tensor;
}

/**
 * Runs a model over a dataset in batches (no grad, eval mode for a {@link Module}; the model is
 * left as it was): embeddings [N, D] and softmax probabilities [N, K]. Inputs are normalised as
 * augmentBatch does ((pixel/255 - mean) / std).
 */
export async function runModel(
  model: DriftModel,
  device: Device,
  data: FerDataset,
  options: { batchSize?: number; normalize?: { mean: number; std: number } } = {},
): Promise<{ embeddings: Float32Array; dim: number; probabilities: Float32Array }> {
  if (model instanceof Module) return inEvalMode(model, () => runModelAsIs(model, device, data, options));
  return runModelAsIs(model, device, data, options);
}

async function runModelAsIs(
  model: DriftModel,
  device: Device,
  data: FerDataset,
  { batchSize = 256, normalize = { mean: 0.5, std: 0.5 } }: { batchSize?: number; normalize?: { mean: number; std: number } },
): Promise<{ embeddings: Float32Array; dim: number; probabilities: Float32Array }> {
  const images = new GpuImages(device, data.pixels);
  const emb: Float32Array[] = [];
  const probs: Float32Array[] = [];
  let dim = 0;
  try {
    for (let s = 0; s < data.length; s += batchSize) {
      const n = Math.min(batchSize, data.length - s);
      const params = new Float32Array(n * PARAMS_PER_IMAGE);
      for (let i = 0; i < n; i++) identityParams(params, i * PARAMS_PER_IMAGE, 0);
      const sources = Int32Array.from({ length: n }, (_, i) => s + i);
      const [f, logits] = device.noGrad(() =>
        device.tidy(() => {
          const x = augmentBatch(images, sources, params, normalize);
          return [model.features(x), model.forward(x)] as const;
        }),
      );
      if (f.shape[0] !== n || f.shape.length !== 2)
        throw new Error(`driftReport: model.features returned [${f.shape.join(', ')}], expected [${n}, D]`);
      if (logits.shape[0] !== n || logits.shape.length !== 2)
        throw new Error(`driftReport: model.forward returned [${logits.shape.join(', ')}], expected [${n}, K]`);
      dim = f.shape[1]!;
      emb.push(await f.toArray());
      const l = await logits.toArray();
      const k = logits.shape[1]!;
      for (let i = 0; i < n; i++) {
        let mx = -Infinity;
        for (let j = 0; j < k; j++) mx = Math.max(mx, l[i * k + j]!);
        let sum = 0;
        for (let j = 0; j < k; j++) sum += l[i * k + j] = Math.exp(l[i * k + j]! - mx);
        for (let j = 0; j < k; j++) l[i * k + j]! /= sum;
      }
      probs.push(l);
      f.dispose();
      logits.dispose();
    }
  } finally {
    images.dispose();
  }
  const cat = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  return { embeddings: cat(emb), dim, probabilities: cat(probs) };
}
