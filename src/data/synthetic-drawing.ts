/**
 * Drawing one synthetic face (syntheticFaces, in synthetic.ts, assembles the dataset). Shapes are
 * signed-distance functions in face coordinates: origin at the face centre, x to the right, y
 * down, 1 unit = the face's half-width. A pixel's coverage of a shape is
 * clamp(0.5 - distance_in_pixels, 0, 1), which gives one pixel of anti-aliasing on every edge.
 */
import { FER_CLASSES, FER_IMAGE_SIZE } from '../classes.js';
import type { Rng } from '../random.js';
import { FER_PIXELS } from './dataset.js';

const S = FER_IMAGE_SIZE;

/** A signed distance (negative inside) at face point (u, v), and a box [u0, v0, u1, v1] that holds the shape. */
interface Shape {
  d: (u: number, v: number) => number;
  box: readonly [number, number, number, number];
}

const EVERYWHERE = [-Infinity, -Infinity, Infinity, Infinity] as const;

/** The canvas of one image: gray values in [0, 255] and each pixel's face coordinates. */
interface Canvas {
  gray: Float32Array;
  u: Float32Array;
  v: Float32Array;
  /** Pixels per face unit. */
  scale: number;
}

/** Blends `color` over every pixel, weighted by the pixel's coverage of the shape (times `opacity`). */
function paint(c: Canvas, shape: Shape, color: number, opacity = 1): void {
  const m = 1 / c.scale; // coverage is 0 half a pixel outside the edge
  const [u0, v0, u1, v1] = shape.box;
  for (let p = 0; p < FER_PIXELS; p++) {
    const u = c.u[p]!;
    const v = c.v[p]!;
    if (u < u0 - m || u > u1 + m || v < v0 - m || v > v1 + m) continue;
    const a = Math.min(1, Math.max(0, 0.5 - shape.d(u, v) * c.scale)) * opacity;
    if (a > 0) c.gray[p] = c.gray[p]! + (color - c.gray[p]!) * a;
  }
}

/** Ellipse centred at (cx, cy) with half-axes (a, b). First-order distance: exact on the boundary. */
function ellipse(cx: number, cy: number, a: number, b: number): Shape {
  return {
    d: (u, v) => {
      const x = (u - cx) / a;
      const y = (v - cy) / b;
      const grad = 2 * Math.hypot(x / a, y / b);
      return (x * x + y * y - 1) / Math.max(grad, 1e-9);
    },
    box: [cx - a, cy - b, cx + a, cy + b],
  };
}

/**
 * A quadratic curve (parabola) from (x0, y0) to (x1, y1), x0 < x1, whose middle is raised by
 * `bulge` above the chord (negative: sags, as in a smile). With t = -1 at x0 and t = 1 at x1,
 * y(t) = (y0 + y1)/2 + (y1 - y0)/2 t + bulge (t² - 1).
 */
class Curve {
  private readonly xm: number;
  private readonly w: number;
  /** Lowest and highest y of the curve. */
  readonly yMin: number;
  readonly yMax: number;

  constructor(
    readonly x0: number,
    readonly y0: number,
    readonly x1: number,
    readonly y1: number,
    private readonly bulge: number,
  ) {
    this.xm = (x0 + x1) / 2;
    this.w = (x1 - x0) / 2;
    const ys = [y0, y1];
    const tVertex = bulge === 0 ? NaN : -(y1 - y0) / (4 * bulge);
    if (Math.abs(tVertex) < 1) ys.push(this.yAtT(tVertex));
    this.yMin = Math.min(...ys);
    this.yMax = Math.max(...ys);
  }

  /** Position along the chord: -1 at x0, 1 at x1. */
  t(u: number): number {
    return (u - this.xm) / this.w;
  }

  yAtT(t: number): number {
    return (this.y0 + this.y1) / 2 + ((this.y1 - this.y0) / 2) * t + this.bulge * (t * t - 1);
  }

  /** dy/du at t. */
  slopeAtT(t: number): number {
    return ((this.y1 - this.y0) / 2 + 2 * this.bulge * t) / this.w;
  }

  /** Signed vertical distance v - y(u), divided by the curve's stretch so it is about the true distance. */
  below(u: number, v: number): number {
    const t = this.t(u);
    const s = this.slopeAtT(t);
    return (v - this.yAtT(t)) / Math.sqrt(1 + s * s);
  }
}

const curve = (x0: number, y0: number, x1: number, y1: number, bulge: number) => new Curve(x0, y0, x1, y1, bulge);

/** A stroke of half-thickness `r` along a curve, with round caps. */
function stroke(k: Curve, r: number): Shape {
  return {
    d: (u, v) => {
      const t = k.t(u);
      if (t < -1) return Math.hypot(u - k.x0, v - k.y0) - r;
      if (t > 1) return Math.hypot(u - k.x1, v - k.y1) - r;
      return Math.abs(k.below(u, v)) - r;
    },
    box: [k.x0 - r, k.yMin - r, k.x1 + r, k.yMax + r],
  };
}

/** The region between an upper and a lower curve over the same x range (an open mouth, teeth). */
function between(top: Curve, bottom: Curve): Shape {
  const halfWidth = (top.x1 - top.x0) / 2;
  return {
    d: (u, v) => Math.max(-top.below(u, v), bottom.below(u, v), (Math.abs(top.t(u)) - 1) * halfWidth),
    box: [top.x0, Math.min(top.yMin, bottom.yMin), top.x1, Math.max(top.yMax, bottom.yMax)],
  };
}

/** Where both shapes are. */
function intersect(a: Shape, b: Shape): Shape {
  return {
    d: (u, v) => Math.max(a.d(u, v), b.d(u, v)),
    box: [Math.max(a.box[0], b.box[0]), Math.max(a.box[1], b.box[1]), Math.min(a.box[2], b.box[2]), Math.min(a.box[3], b.box[3])],
  };
}

/** Eye opening (half-height of the eye), brow inner/outer height and arch, per class; face units. */
interface Expression {
  eyeOpen: number;
  browInner: number;
  browOuter: number;
  browArch: number;
}

// Indexed like FER_CLASSES: angry, disgust, fear, happy, sad, surprise, neutral.
const EXPRESSIONS: readonly Expression[] = [
  { eyeOpen: 0.05, browInner: -0.27, browOuter: -0.5, browArch: 0 }, // angry: down-in brows, narrowed eyes
  { eyeOpen: 0.045, browInner: -0.31, browOuter: -0.4, browArch: 0.02 }, // disgust: lowered brows, narrowed eyes
  { eyeOpen: 0.14, browInner: -0.6, browOuter: -0.5, browArch: 0.01 }, // fear: raised, inner highest, wide eyes
  { eyeOpen: 0.065, browInner: -0.43, browOuter: -0.44, browArch: 0.07 }, // happy: relaxed, smiling eyes
  { eyeOpen: 0.075, browInner: -0.56, browOuter: -0.36, browArch: -0.01 }, // sad: inner ends raised
  { eyeOpen: 0.15, browInner: -0.62, browOuter: -0.62, browArch: 0.12 }, // surprise: high arch, wide eyes
  { eyeOpen: 0.085, browInner: -0.4, browOuter: -0.42, browArch: 0.05 }, // neutral
];
const NEUTRAL_ID = FER_CLASSES.indexOf('neutral');
const NEUTRAL = EXPRESSIONS[NEUTRAL_ID]!;

/** Draws one face of class `label` into `out` (2304 bytes), every random choice from `rng`. */
export function drawFace(label: number, rng: Rng, out: Uint8Array): void {
  // Head pose and shape: half-width 14.5-17 px, tilt ±10°, shift ±2 px (about as aligned as FER2013's crops).
  const scale = rng.uniform(14.5, 17);
  const aspect = rng.uniform(1.18, 1.34);
  const tilt = (rng.uniform(-10, 10) * Math.PI) / 180;
  const cx = S / 2 + rng.uniform(-2, 2);
  const cy = S / 2 + rng.uniform(-1.5, 2.5);
  const cos = Math.cos(tilt);
  const sin = Math.sin(tilt);
  const c: Canvas = { gray: new Float32Array(FER_PIXELS), u: new Float32Array(FER_PIXELS), v: new Float32Array(FER_PIXELS), scale };
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      c.u[y * S + x] = (dx * cos + dy * sin) / scale;
      c.v[y * S + x] = (-dx * sin + dy * cos) / scale;
    }
  }

  // Tones: skin, a background at least 30 levels away, hair, features darker than the skin.
  const skin = rng.uniform(95, 215);
  let bg = rng.uniform(10, 245);
  while (Math.abs(bg - skin) < 30) bg = rng.uniform(10, 245);
  const hair = rng.next() < 0.75 ? rng.uniform(10, 70) : rng.uniform(130, 230);
  const dark = skin * rng.uniform(0.25, 0.45); // brows, lids, lips
  c.gray.fill(bg);

  // Neck, hair behind the head, the face, a fringe.
  paint(c, { d: (u, v) => Math.max(Math.abs(u) - 0.55, 0.8 - v), box: EVERYWHERE }, skin * 0.85);
  const hasHair = rng.next() < 0.85;
  if (hasHair) paint(c, ellipse(0, -0.2 * aspect, rng.uniform(1.08, 1.2), aspect * rng.uniform(0.95, 1.05)), hair);
  const face = ellipse(0, 0, 1, aspect);
  paint(c, face, skin);
  if (hasHair) {
    const line = -aspect * rng.uniform(0.62, 0.78);
    // Clipped to a slightly larger face, so no seam of skin shows at the face's edge (the back hair is there).
    paint(c, intersect(ellipse(0, 0, 1.06, aspect + 0.06), { d: (u, v) => v - (line + 0.35 * u * u), box: EVERYWHERE }), hair);
  }

  // Expression strength: blend each class's brow and eye numbers with neutral, plus jitter.
  const e = EXPRESSIONS[label]!;
  const strength = label === NEUTRAL_ID ? 0 : rng.uniform(0.75, 1.15);
  const mix = (key: keyof Expression, jitter: number) => NEUTRAL[key] + (e[key] - NEUTRAL[key]) * strength + rng.uniform(-jitter, jitter);
  const eyeOpen = Math.max(0.025, mix('eyeOpen', 0.012));
  const browInner = mix('browInner', 0.03);
  const browOuter = mix('browOuter', 0.03);
  const browArch = mix('browArch', 0.015);

  // Eyes: sclera, iris clipped to the eye, upper lid. Brows above them.
  const eyeX = rng.uniform(0.34, 0.42);
  const eyeY = -0.12 + rng.uniform(-0.04, 0.04);
  const eyeW = rng.uniform(0.14, 0.18);
  const sclera = Math.min(250, skin + rng.uniform(25, 60));
  const iris = rng.uniform(15, 60);
  const gazeX = rng.uniform(-0.04, 0.04);
  const browThick = rng.uniform(0.045, 0.065);
  for (const side of [-1, 1]) {
    const ex = side * eyeX;
    const eye = ellipse(ex, eyeY, eyeW, eyeOpen);
    paint(c, ellipse(ex, eyeY, eyeW + 0.025, eyeOpen + 0.025), dark, 0.6); // outline
    paint(c, eye, sclera);
    paint(c, intersect(eye, ellipse(ex + gazeX, eyeY, 0.085, 0.085)), iris);
    const lidBulge = eyeOpen * 0.9;
    paint(c, stroke(curve(ex - eyeW, eyeY, ex + eyeW, eyeY, lidBulge), 0.028), dark);

    const inner = { x: side * rng.uniform(0.1, 0.15), y: eyeY + browInner };
    const outer = { x: side * rng.uniform(0.58, 0.64), y: eyeY + browOuter };
    const [l, r] = side < 0 ? [outer, inner] : [inner, outer];
    paint(c, stroke(curve(l.x, l.y, r.x, r.y, browArch), browThick), hair < skin ? Math.min(hair, dark) : dark);
  }

  // Nose: nostrils and a soft shadow; disgust adds wrinkles beside the bridge.
  const noseY = rng.uniform(0.26, 0.34);
  paint(c, ellipse(-0.07, noseY, 0.04, 0.028), dark, 0.6);
  paint(c, ellipse(0.07, noseY, 0.04, 0.028), dark, 0.6);
  paint(c, stroke(curve(-0.12, noseY - 0.06, 0.12, noseY - 0.06, -0.05), 0.02), dark, 0.3);
  if (label === 1) {
    for (const side of [-1, 1]) paint(c, stroke(curve(side * 0.2 - 0.06, 0.08, side * 0.2 + 0.06, 0.08, 0.03 * side), 0.022), dark, 0.7);
  }

  drawMouth(c, label, rng, strength, { dark, skin, cavity: rng.uniform(10, 45), teeth: rng.uniform(180, 245) });

  finish(c.gray, rng, out);
}

/** The mouth of each class, centred near y = 0.62. */
function drawMouth(
  c: Canvas,
  label: number,
  rng: Rng,
  strength: number,
  tone: { dark: number; skin: number; cavity: number; teeth: number },
): void {
  const y = rng.uniform(0.58, 0.66);
  const lip = rng.uniform(0.045, 0.06);
  const s = strength;
  switch (FER_CLASSES[label]) {
    case 'angry': {
      // Tight, pressed lips: short, thick, corners slightly down.
      const w = rng.uniform(0.19, 0.25);
      paint(c, stroke(curve(-w, y + 0.03, w, y + 0.03, 0.03 * s), lip * 1.5), tone.dark);
      break;
    }
    case 'disgust': {
      // Upper lip raised on one side: a wedge-shaped opening, wider on that side.
      const w = rng.uniform(0.26, 0.32);
      const side = rng.next() < 0.5 ? -1 : 1;
      const raise = 0.1 * s;
      const top = curve(-w, y + (side < 0 ? -raise : 0), w, y + (side > 0 ? -raise : 0), 0.02);
      const bottom = curve(-w, y + 0.035, w, y + 0.035, -0.02);
      paint(c, between(top, bottom), tone.cavity);
      paint(c, stroke(top, lip * 0.8), tone.dark);
      break;
    }
    case 'fear': {
      // Wide stretched open mouth, corners pulled back and down.
      const w = rng.uniform(0.36, 0.44);
      const top = curve(-w, y + 0.05, w, y + 0.05, 0.04);
      const bottom = curve(-w, y + 0.1, w, y + 0.1, -0.13 * s);
      paint(c, between(top, bottom), tone.cavity);
      paint(c, stroke(top, lip * 0.5), tone.dark);
      break;
    }
    case 'happy': {
      // Smile: corners up. Half are open with upper teeth showing.
      const w = rng.uniform(0.36, 0.44);
      const corner = y - 0.08 * s;
      if (rng.next() < 0.5) {
        paint(c, stroke(curve(-w, corner, w, corner, -0.14 * s), lip), tone.dark);
      } else {
        const top = curve(-w, corner, w, corner, -0.05);
        const bottom = curve(-w, corner, w, corner, -0.28 * s);
        paint(c, between(top, bottom), tone.cavity);
        paint(c, between(top, curve(-w, corner, w, corner, -0.1)), tone.teeth, 0.85);
        paint(c, stroke(bottom, lip * 0.6), tone.dark);
      }
      break;
    }
    case 'sad': {
      // Frown: corners down.
      const w = rng.uniform(0.26, 0.33);
      paint(c, stroke(curve(-w, y + 0.1 * s, w, y + 0.1 * s, 0.11 * s), lip), tone.dark);
      break;
    }
    case 'surprise': {
      // Jaw dropped: an open O.
      const a = rng.uniform(0.13, 0.18);
      const b = rng.uniform(0.17, 0.24) * Math.max(0.8, s);
      paint(c, ellipse(0, y + 0.08, a + 0.03, b + 0.03), tone.dark);
      paint(c, ellipse(0, y + 0.08, a, b), tone.cavity);
      break;
    }
    default: {
      // Neutral: a straight closed mouth.
      const w = rng.uniform(0.26, 0.33);
      paint(c, stroke(curve(-w, y, w, y, rng.uniform(-0.015, 0.015)), lip), tone.dark);
    }
  }
}

/** Lighting gradient, Gaussian blur, Gaussian noise, then rounding to uint8. */
function finish(gray: Float32Array, rng: Rng, out: Uint8Array): void {
  const angle = rng.uniform(0, 2 * Math.PI);
  const amount = rng.uniform(0, 0.35);
  const gx = (Math.cos(angle) * amount) / S;
  const gy = (Math.sin(angle) * amount) / S;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) gray[y * S + x] = gray[y * S + x]! * (1 + gx * (x - S / 2) + gy * (y - S / 2));
  }

  const sigma = rng.uniform(0.3, 1);
  const k = [-2, -1, 0, 1, 2].map((d) => Math.exp((-d * d) / (2 * sigma * sigma)));
  const ksum = k.reduce((a, b) => a + b, 0);
  const kernel = k.map((w) => w / ksum);
  const blurred = blur1d(blur1d(gray, kernel, 1, S), kernel, S, 1);

  const noise = rng.uniform(1.5, 7);
  for (let p = 0; p < FER_PIXELS; p++) out[p] = Math.min(255, Math.max(0, Math.round(blurred[p]! + rng.normal(0, noise))));
}

/**
 * Convolves each line of a 48x48 image with a 5-tap kernel, clamping at the edges: `step` is the
 * distance between neighbours along the line (1 for rows, 48 for columns), `lineStep` between lines.
 */
function blur1d(src: Float32Array, kernel: number[], step: number, lineStep: number): Float32Array {
  const dst = new Float32Array(FER_PIXELS);
  for (let line = 0; line < S; line++) {
    for (let i = 0; i < S; i++) {
      let acc = 0;
      for (let d = -2; d <= 2; d++) {
        const j = Math.min(S - 1, Math.max(0, i + d));
        acc += kernel[d + 2]! * src[line * lineStep + j * step]!;
      }
      dst[line * lineStep + i * step] = acc;
    }
  }
  return dst;
}
