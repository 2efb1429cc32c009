/**
 * The pictures of plot.ts as scenes (rectangles, texts in the embedded 5x7 bitmap font at 2x,
 * gray images) and their rendering as PNG (pngjs, so no native dependency) or SVG: both formats
 * drawn from one scene, so they show the same layout.
 */
import pngjs from 'pngjs';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font5x7.js';

/** Output format of the render functions. */
export type PlotFormat = 'png' | 'svg';

/** Pixel scale of the bitmap font: 5x7 glyphs drawn as 10x14. */
const SCALE = 2;
const CHAR_ADVANCE = (GLYPH_WIDTH + 1) * SCALE;
/** Height in pixels of a line of text. */
export const TEXT_HEIGHT = GLYPH_HEIGHT * SCALE;

export interface RectItem {
  kind: 'rect';
  x: number;
  y: number;
  w: number;
  h: number;
  fill: string;
}

/**
 * A text label. (x, y) is the anchor point, vertically centred on the text; `vertical` text reads
 * bottom to top, with `anchor` measured along that direction and x its centre line.
 */
export interface TextItem {
  kind: 'text';
  x: number;
  y: number;
  text: string;
  anchor: 'start' | 'middle' | 'end';
  color: string;
  vertical?: boolean;
}

/** A gray image (row-major uint8) drawn `scale` times larger, nearest neighbour. */
export interface ImageItem {
  kind: 'image';
  x: number;
  y: number;
  width: number;
  height: number;
  pixels: Uint8Array;
  scale: number;
}

/** A picture: rectangles, texts and gray images on white, in drawing order. */
export interface Scene {
  width: number;
  height: number;
  items: (RectItem | TextItem | ImageItem)[];
}

/** A gray image as a PNG (for SVG's data: URLs). */
function grayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const png = new pngjs.PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([pixels[i]!, pixels[i]!, pixels[i]!, 255], i * 4);
  return pngjs.PNG.sync.write(png);
}

/** Renders a scene as PNG bytes or SVG text. */
export function renderScene(scene: Scene, format: PlotFormat): Buffer | string {
  if (format === 'svg') return toSvg(scene);
  if (format === 'png') return toPng(scene);
  throw new RangeError(`format must be 'png' or 'svg', got ${String(format)}`);
}

function toSvg(scene: Scene): string {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  for (const it of scene.items) {
    if (it.kind === 'rect') {
      parts.push(`<rect x="${it.x}" y="${it.y}" width="${it.w}" height="${it.h}" fill="${it.fill}"/>`);
    } else if (it.kind === 'image') {
      const href = `data:image/png;base64,${grayPng(it.pixels, it.width, it.height).toString('base64')}`;
      parts.push(
        `<image x="${it.x}" y="${it.y}" width="${it.width * it.scale}" height="${it.height * it.scale}" style="image-rendering:pixelated" href="${href}"/>`,
      );
    } else {
      const rotate = it.vertical ? ` transform="rotate(-90 ${it.x} ${it.y})"` : '';
      parts.push(
        `<text x="${it.x}" y="${it.y}" text-anchor="${it.anchor}" dominant-baseline="central" font-family="monospace" font-size="15" fill="${it.color}"${rotate}>${escapeXml(it.text)}</text>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function toPng(scene: Scene): Buffer {
  const png = new pngjs.PNG({ width: Math.ceil(scene.width), height: Math.ceil(scene.height) });
  const fill = (x: number, y: number, w: number, h: number, color: string) => {
    const [r, g, b] = parseHex(color);
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(png.width, Math.round(x + w));
    const y1 = Math.min(png.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const o = (yy * png.width + xx) * 4;
        png.data[o] = r;
        png.data[o + 1] = g;
        png.data[o + 2] = b;
        png.data[o + 3] = 255;
      }
    }
  };
  fill(0, 0, png.width, png.height, '#ffffff');
  for (const it of scene.items) {
    if (it.kind === 'rect') {
      fill(it.x, it.y, it.w, it.h, it.fill);
      continue;
    }
    if (it.kind === 'image') {
      const x0 = Math.round(it.x);
      const y0 = Math.round(it.y);
      for (let yy = 0; yy < it.height * it.scale; yy++) {
        for (let xx = 0; xx < it.width * it.scale; xx++) {
          const px = x0 + xx;
          const py = y0 + yy;
          if (px < 0 || py < 0 || px >= png.width || py >= png.height) continue;
          const g = it.pixels[Math.floor(yy / it.scale) * it.width + Math.floor(xx / it.scale)]!;
          png.data.set([g, g, g, 255], (py * png.width + px) * 4);
        }
      }
      continue;
    }
    const w = textWidth(it.text);
    const shift = it.anchor === 'start' ? 0 : it.anchor === 'middle' ? w / 2 : w;
    [...it.text].forEach((ch, n) => {
      glyph(ch).forEach((row, gy) => {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (row[gx] !== '#') continue;
          const u = n * CHAR_ADVANCE + gx * SCALE; // along the text
          const v = gy * SCALE; // down the glyph
          if (it.vertical) fill(it.x - TEXT_HEIGHT / 2 + v, it.y + shift - u - SCALE, SCALE, SCALE, it.color);
          else fill(it.x - shift + u, it.y - TEXT_HEIGHT / 2 + v, SCALE, SCALE, it.color);
        }
      });
    });
  }
  return pngjs.PNG.sync.write(png);
}

/** Width in pixels of a text drawn with the bitmap font. */
export function textWidth(text: string): number {
  const n = [...text].length;
  return n === 0 ? 0 : n * CHAR_ADVANCE - SCALE;
}

function parseHex(color: string): [number, number, number] {
  const n = parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
