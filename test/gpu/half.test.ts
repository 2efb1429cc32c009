/** f16 tensors: the CPU conversions against known binary16 values, and GPU round trips. */
import { describe, expect, it } from 'vitest';
import { fromHalfBits, toHalfBits } from '../../src/gpu/half.js';
import { useDevice } from '../helpers.js';

describe('f16', () => {
  const device = useDevice();

  it('converts to and from binary16 with round-to-nearest-even', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [65520, 0x7c00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
      [0.1, 0x2e66],
      [2 ** -25, 0x0000],
      [3 * 2 ** -26, 0x0001],
    ];
    for (const [x, bits] of cases) expect(toHalfBits(x), `${x}`).toBe(bits);
    // values that binary16 holds exactly come back unchanged
    for (const [x, bits] of cases.filter((_, i) => i <= 10 && i !== 6)) expect(fromHalfBits(bits), `${x}`).toBe(x);
    expect(fromHalfBits(0x3c02)).toBe(1 + 2 ** -9);
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
  });

  it('f16 tensors upload, fill and read back as f32 values', async () => {
    const d = device();
    if (!d.info.features.includes('shader-f16')) return; // nothing to test without the feature
    const t = d.tensor([1, -2.5, 0.1, 1000, 3], [5], { dtype: 'f16' });
    expect(t.dtype).toBe('f16');
    expect(Array.from(await t.toArray())).toEqual([1, -2.5, fromHalfBits(0x2e66), 1000, 3]);
    expect(Array.from(await d.full([3], 0.5, { dtype: 'f16' }).toArray())).toEqual([0.5, 0.5, 0.5]);
  });
});
