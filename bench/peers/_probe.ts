import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]);
(globalThis as any).navigator = { gpu };
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
console.log(await tf.setBackend('webgpu'), tf.getBackend());
const x = tf.randomNormal([64, 24, 24, 64]); const w = tf.randomNormal([3, 3, 64, 64]);
for (let i = 0; i < 5; i++) { const t = performance.now(); const y = tf.conv2d(x as any, w as any, 1, 'same'); await y.data(); console.log(performance.now() - t); y.dispose(); }
