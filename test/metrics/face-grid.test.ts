// renderFaceGrid: faces drawn at scale with captions, in PNG and SVG (the demo's sample-faces picture).
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { renderFaceGrid, type GridFace } from '../../src/metrics/index.js';

const dark = new Uint8Array(48 * 48).fill(10);
const light = new Uint8Array(48 * 48).fill(240);
light[0] = 0; // top-left pixel of the second face is black
const faces: GridFace[] = [
  { pixels: dark, caption: ['1. happy', '-> happy 93%'], color: '#1a7f37' },
  { pixels: light, caption: ['2. sad', '-> fear 40%'], color: '#cf222e' },
];

describe('renderFaceGrid', () => {
  it('PNG: each face at its scale, the captions in their colours', () => {
    const png = pngjs.PNG.sync.read(renderFaceGrid(faces, { format: 'png', scale: 2, title: 'faces' }));
    const px = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
    const counts = new Map<string, number>();
    for (let i = 0; i < png.data.length; i += 4) {
      const key = [...png.data.subarray(i, i + 3)].join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // 96x96 pixels of the dark face; the light face's 2x2 black corner among its 96*96 - 4 light pixels.
    expect(counts.get('10,10,10')).toBe(96 * 96);
    expect(counts.get('240,240,240')).toBe(96 * 96 - 4);
    expect(counts.get('0,0,0')).toBe(4);
    expect(counts.get('26,127,55')).toBeGreaterThan(50); // green caption ink
    expect(counts.get('207,34,46')).toBeGreaterThan(50); // red caption ink
    expect(px(0, 0)).toEqual([255, 255, 255]);
    expect(png.width).toBeGreaterThan(2 * 96);
  });

  it('SVG: the faces as PNG images, the captions as text', () => {
    const svg = renderFaceGrid(faces, { format: 'svg', columns: 1 });
    expect(svg.match(/<image [^>]*href="data:image\/png;base64,/g)).toHaveLength(2);
    for (const t of ['1. happy', '-&#62; happy 93%', '2. sad', '-&#62; fear 40%']) expect(svg).toContain(`>${t}</text>`);
  });

  it('bad input: a face that is not 48x48, no faces, a bad scale', () => {
    expect(() => renderFaceGrid([{ pixels: new Uint8Array(10), caption: [] }], { format: 'png' })).toThrow(
      /face 0 has 10 pixels, not 48x48/,
    );
    expect(() => renderFaceGrid([], { format: 'png' })).toThrow(/no faces/);
    expect(() => renderFaceGrid(faces, { format: 'png', scale: 0 })).toThrow(/positive integers/);
  });
});
