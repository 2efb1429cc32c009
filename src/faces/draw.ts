/**
 * Draws detected faces onto a copy of an image: a box per face, its label (or score) above it in
 * the project's 5x7 bitmap font, and the six keypoints. Platform-free: pixels in, RGBA pixels out
 * (the CLI encodes them as PNG or JPEG).
 */
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from '../metrics/font5x7.js';
import type { PixelImage } from '../kernels/crop-resize/index.js';
import type { DetectedFace } from './detect.js';

/** Box colours per expression (others: the first). */
const COLOURS: Record<string, [number, number, number]> = {
  face: [0, 200, 255],
  angry: [230, 40, 40],
  disgust: [120, 170, 30],
  fear: [160, 80, 220],
  happy: [255, 200, 0],
  sad: [60, 110, 230],
  surprise: [255, 120, 200],
  neutral: [200, 200, 200],
};

/** The text drawn above a face: "happy 93%" with an expression, else the detector score. */
export function faceLabel(face: DetectedFace & { label?: string; probabilities?: Record<string, number> }): string {
  if (face.label !== undefined) return `${face.label} ${Math.round(100 * (face.probabilities?.[face.label] ?? 0))}%`;
  return `face ${face.score.toFixed(2)}`;
}

/** An RGBA copy of the image with every face drawn on it. */
export function drawFaces(
  image: PixelImage,
  faces: ReadonlyArray<DetectedFace & { label?: string; probabilities?: Record<string, number> }>,
): PixelImage {
  const { width, height } = image;
  const channels = image.channels ?? image.data.length / (width * height);
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    out[4 * i] = image.data[s]!;
    out[4 * i + 1] = image.data[channels >= 3 ? s + 1 : s]!;
    out[4 * i + 2] = image.data[channels >= 3 ? s + 2 : s]!;
    out[4 * i + 3] = 255;
  }
  const fill = (x: number, y: number, w: number, h: number, [r, g, b]: readonly number[]) => {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(width, Math.round(x + w));
    const y1 = Math.min(height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++)
      for (let xx = x0; xx < x1; xx++) {
        const o = (yy * width + xx) * 4;
        out[o] = r!;
        out[o + 1] = g!;
        out[o + 2] = b!;
      }
  };
  const line = Math.max(2, Math.round(Math.max(width, height) / 400));
  const scale = Math.max(2, Math.round(Math.max(width, height) / 500)); // font pixel size
  for (const face of faces) {
    const colour = COLOURS[face.label ?? 'face'] ?? COLOURS.face!;
    const { x, y, width: w, height: h } = face.box;
    fill(x - line, y - line, w + 2 * line, line, colour);
    fill(x - line, y + h, w + 2 * line, line, colour);
    fill(x - line, y, line, h, colour);
    fill(x + w, y, line, h, colour);
    for (const k of face.keypoints) fill(k.x - line, k.y - line, 2 * line, 2 * line, colour);
    const text = faceLabel(face);
    const advance = (GLYPH_WIDTH + 1) * scale;
    const textH = (GLYPH_HEIGHT + 2) * scale;
    const ty = y - line - textH - 2 * scale >= 0 ? y - line - textH - 2 * scale : y + h + line;
    fill(x - line, ty, [...text].length * advance + 2 * scale, textH + 2 * scale, colour);
    [...text].forEach((ch, n) => {
      glyph(ch).forEach((row, gy) => {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++)
          if (row[gx] === '#') fill(x - line + scale + n * advance + gx * scale, ty + scale + gy * scale, scale, scale, [0, 0, 0]);
      });
    });
  }
  return { width, height, channels: 4, data: out };
}
