/**
 * `fer-gpu export`: a checkpoint (default: the shipped model) as an ONNX file for onnxruntime,
 * Triton and other ONNX runtimes. The path is checked before any work (cli/common.ts's
 * checkOutputFile) and the file written atomically: on any error no file, not even a partial one, is
 * left at the path.
 */
import type { Command } from 'commander';
import { createDevice } from '../gpu/dawn.js';
import { loadModel } from '../train/checkpoint.js';
import { DEFAULT_WEIGHTS_FILE, WEIGHTS_ENV, resolveWeights } from '../train/pretrained.js';
import { checkOutputFile, writeOutputFile } from './common.js';
import { DEFAULT_OPSET, ONNX_NAMES, checkOpset, exportOnnx } from '../onnx/index.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export weights as an ONNX model (input [N,1,48,48] -> logits [N,7]) for onnxruntime, Triton and other ONNX runtimes')
    .requiredOption('--onnx <file>', 'the .onnx file to write')
    .option('--weights <file>', `a .safetensors checkpoint (default: the package's ${DEFAULT_WEIGHTS_FILE}, or $${WEIGHTS_ENV})`)
    .option('--opset <n>', `ONNX opset (default ${DEFAULT_OPSET})`, (v: string) => checkOpset(v, '--opset'))
    .option('--with-softmax', "also output 'probabilities' (softmax of the calibrated logits)")
    .option('--no-dynamic-batch', 'fix the batch dimension at 1 instead of a symbolic N')
    .action(async (o: { onnx: string; weights?: string; opset?: number; withSoftmax?: boolean; dynamicBatch: boolean }) => {
      const weights = resolveWeights(o.weights);
      checkOutputFile(o.onnx, '--onnx', ['.onnx'], [weights]); // before any work, as every command's outputs
      const device = await createDevice();
      let bytes: Uint8Array;
      let arch: string;
      let classes: number;
      try {
        const { model, info } = loadModel(device, weights);
        try {
          bytes = await exportOnnx(model, { ...info, opset: o.opset, withSoftmax: o.withSoftmax, dynamicBatch: o.dynamicBatch });
          arch = `fer-resnet18(${model.width})`;
          classes = model.numClasses;
        } finally {
          model.dispose();
        }
      } finally {
        device.destroy();
      }
      writeOutputFile(o.onnx, bytes);
      const n = o.dynamicBatch ? ONNX_NAMES.batch : 1;
      const outputs = [
        `'${ONNX_NAMES.logits}' [${n},${classes}]`,
        ...(o.withSoftmax ? [`'${ONNX_NAMES.probabilities}' [${n},${classes}]`] : []),
      ];
      console.log(
        `wrote ${o.onnx} (${(bytes.length / 1024).toFixed(0)} KiB): ${arch} from ${weights}, opset ${o.opset ?? DEFAULT_OPSET}, ` +
          `'${ONNX_NAMES.input}' [${n},1,48,48] -> ${outputs.join(', ')}`,
      );
    });
}
