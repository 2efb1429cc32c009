/**
 * A pool of GPU storage buffers keyed by size class (powers of two from 256 bytes, then
 * multiples of 1/4 of the next power), so a training loop that frees and re-creates tensors of
 * the same shapes every step stops creating buffers after its first step.
 */

import { BufferUsage } from './constants.js';

/** Usage flags of every pooled storage buffer. */
const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

interface PooledBuffer {
  buffer: GPUBuffer;
  /** Size class in bytes (the buffer's real size). */
  size: number;
  /** Submit epoch of the last command that touched it (see BufferPool.epoch). */
  lastUse: number;
}

/** Rounds a byte size up to its size class. */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 4) * 4);
  const pow = 2 ** Math.ceil(Math.log2(b));
  if (pow <= 4096) return pow;
  // Between pow/2 and pow, use quarter steps to waste at most 25%.
  const step = pow / 8;
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, PooledBuffer[]>();
  private readonly live = new Map<GPUBuffer, PooledBuffer>();
  /** Bytes held by live (acquired) buffers. */
  bytesInUse = 0;
  /** Bytes of all buffers the pool has created and not destroyed. */
  bytesAllocated = 0;
  /** Highest bytesInUse seen. */
  peakBytesInUse = 0;
  /** Number of GPU buffers created so far (tests and benches check it stops growing). */
  buffersCreated = 0;
  /**
   * Incremented on every queue submit. A buffer last used in the current epoch may still be
   * read by commands not yet submitted, so it must not be overwritten by queue.writeBuffer
   * (which runs before those commands).
   */
  epoch = 1;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
  ) {}

  /**
   * Takes a buffer of at least `bytes` bytes.
   * @param forUpload true when the caller will queue.writeBuffer into it before the next submit.
   */
  acquire(bytes: number, forUpload = false): GPUBuffer {
    let size = sizeClass(bytes);
    // near the limit, a tensor that fits gets a buffer of its own size rather than its class's
    if (size > this.maxBufferSize) size = Math.max(256, Math.ceil(bytes / 4) * 4);
    if (size > this.maxBufferSize) {
      throw new RangeError(
        `fer-gpu: a ${bytes}-byte tensor exceeds the ${this.maxBufferSize} bytes one tensor may hold on this device (maxStorageBufferBindingSize; device.maxTensorBytes): use smaller batches (eval-mode inference under noGrad splits them itself)`,
      );
    }
    const list = this.free.get(size);
    let entry: PooledBuffer | undefined;
    if (list && list.length > 0) {
      const i = forUpload ? list.findIndex((e) => e.lastUse < this.epoch) : list.length - 1;
      if (i >= 0) entry = list.splice(i, 1)[0];
    }
    if (!entry) {
      const buffer = this.device.createBuffer({ size, usage: STORAGE_USAGE });
      entry = { buffer, size, lastUse: 0 };
      this.bytesAllocated += size;
      this.buffersCreated++;
    }
    this.live.set(entry.buffer, entry);
    this.bytesInUse += size;
    if (this.bytesInUse > this.peakBytesInUse) this.peakBytesInUse = this.bytesInUse;
    return entry.buffer;
  }

  /** Marks buffers as used by commands recorded in the current epoch. */
  touch(buffer: GPUBuffer): void {
    const e = this.live.get(buffer);
    if (e) e.lastUse = this.epoch;
  }

  /** Returns a buffer to the pool. */
  release(buffer: GPUBuffer): void {
    const e = this.live.get(buffer);
    if (!e) return;
    this.live.delete(buffer);
    this.bytesInUse -= e.size;
    let list = this.free.get(e.size);
    if (!list) this.free.set(e.size, (list = []));
    list.push(e);
  }

  /** Destroys every free buffer (live ones stay). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const e of list) {
        e.buffer.destroy();
        this.bytesAllocated -= e.size;
      }
    }
    this.free.clear();
  }

  /** Destroys everything. */
  destroy(): void {
    this.trim();
    for (const e of this.live.values()) e.buffer.destroy();
    this.live.clear();
    this.bytesInUse = 0;
    this.bytesAllocated = 0;
  }
}
