/**
 * BlazeFace post-processing on the CPU, as MediaPipe does it: SSD anchors
 * (SsdAnchorsCalculator), box and keypoint decoding with sigmoid scores
 * (TensorsToDetectionsCalculator), weighted non-maximum suppression
 * (NonMaxSuppressionCalculator, algorithm WEIGHTED) and the projection from the letterboxed
 * input back to the image's pixels (DetectionProjectionCalculator). Platform-free.
 */
import type { BlazeFaceSpec } from './spec.js';
import type { RawDetections } from './blazeface.js';

/** MediaPipe's six face keypoints, in the model's order. */
export const KEYPOINT_NAMES = ['rightEye', 'leftEye', 'noseTip', 'mouth', 'rightEar', 'leftEar'] as const;
export type KeypointName = (typeof KEYPOINT_NAMES)[number];

/** A box in some coordinate system: top-left corner and size. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One detection: box, score in [0, 1], keypoints (x, y pairs in KEYPOINT_NAMES order). */
export interface Detection {
  box: Box;
  score: number;
  keypoints: Float64Array;
}

/** Anchor centres (x, y pairs, in [0, 1]) of a spec: per layer group, cells row-major, then anchors per cell. All anchors are 1x1 (fixed_anchor_size). */
export function anchorCentres(spec: BlazeFaceSpec): Float64Array {
  const out: number[] = [];
  const { strides, anchorsPerLayer, inputSize } = spec;
  for (let l = 0; l < strides.length;) {
    let same = 0;
    while (l + same < strides.length && strides[l + same] === strides[l]) same++;
    const side = Math.ceil(inputSize / strides[l]!);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) for (let k = 0; k < same * anchorsPerLayer; k++) out.push((x + 0.5) / side, (y + 0.5) / side);
    l += same;
  }
  if (out.length / 2 !== spec.numAnchors)
    throw new Error(`anchors: ${out.length / 2} anchors for a ${spec.range}-range spec of ${spec.numAnchors}`);
  return Float64Array.from(out);
}

/**
 * The detections of image `n` scoring at least minScore, in the input's normalised coordinates
 * ([0, 1] over the letterboxed square). Offsets are (x centre, y centre, width, height, 6
 * keypoints x, y) divided by coordScale and added to the anchor's centre.
 */
export function decode(raw: RawDetections, n: number, spec: BlazeFaceSpec, anchors: Float64Array, minScore: number): Detection[] {
  const A = spec.numAnchors;
  const s = spec.coordScale;
  const out: Detection[] = [];
  for (let a = 0; a < A; a++) {
    const logit = Math.min(spec.scoreClip, Math.max(-spec.scoreClip, raw.scores[n * A + a]!));
    const score = 1 / (1 + Math.exp(-logit));
    if (score < minScore) continue;
    const o = (n * A + a) * 16;
    const ax = anchors[2 * a]!;
    const ay = anchors[2 * a + 1]!;
    const cx = raw.boxes[o]! / s + ax;
    const cy = raw.boxes[o + 1]! / s + ay;
    const w = raw.boxes[o + 2]! / s;
    const h = raw.boxes[o + 3]! / s;
    if (!(w > 0 && h > 0)) continue;
    const keypoints = new Float64Array(12);
    for (let k = 0; k < 6; k++) {
      keypoints[2 * k] = raw.boxes[o + 4 + 2 * k]! / s + ax;
      keypoints[2 * k + 1] = raw.boxes[o + 5 + 2 * k]! / s + ay;
    }
    out.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, score, keypoints });
  }
  return out;
}

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * MediaPipe's weighted non-maximum suppression: take the best remaining detection, gather every
 * remaining one whose IoU with it exceeds `threshold` (itself included), and output their
 * score-weighted average box and keypoints with the best one's score; repeat on the rest.
 * Ties in score keep input order (a stable sort, as std::sort on MediaPipe's pairs mostly does).
 */
export function weightedNms(detections: readonly Detection[], threshold: number, maxFaces = Infinity): Detection[] {
  let remaining = [...detections].sort((p, q) => q.score - p.score);
  const out: Detection[] = [];
  while (remaining.length > 0 && out.length < maxFaces) {
    const best = remaining[0]!;
    const cluster: Detection[] = [];
    const rest: Detection[] = [];
    for (const d of remaining) (iou(d.box, best.box) > threshold ? cluster : rest).push(d);
    let total = 0;
    let [x0, y0, x1, y1] = [0, 0, 0, 0];
    const keypoints = new Float64Array(best.keypoints.length);
    for (const d of cluster) {
      total += d.score;
      x0 += d.box.x * d.score;
      y0 += d.box.y * d.score;
      x1 += (d.box.x + d.box.width) * d.score;
      y1 += (d.box.y + d.box.height) * d.score;
      for (let k = 0; k < keypoints.length; k++) keypoints[k]! += d.keypoints[k]! * d.score;
    }
    out.push({
      box: { x: x0 / total, y: y0 / total, width: (x1 - x0) / total, height: (y1 - y0) / total },
      score: best.score,
      keypoints: keypoints.map((v) => v / total),
    });
    if (rest.length === remaining.length) break; // cannot happen (IoU with itself is 1), kept as MediaPipe has it
    remaining = rest;
  }
  return out;
}

/** Maps a detection from [0, 1] coordinates over `region` (a box in image pixels) to image pixels. */
export function project(d: Detection, region: Box): Detection {
  return {
    box: {
      x: region.x + d.box.x * region.width,
      y: region.y + d.box.y * region.height,
      width: d.box.width * region.width,
      height: d.box.height * region.height,
    },
    score: d.score,
    keypoints: d.keypoints.map((v, i) => (i % 2 === 0 ? region.x + v * region.width : region.y + v * region.height)),
  };
}

/** The letterbox of a width x height image: the centred square (in its pixels) that the model sees, padded with black. */
export function letterbox(width: number, height: number): Box {
  const side = Math.max(width, height);
  return { x: 0 - Math.floor((side - width) / 2), y: 0 - Math.floor((side - height) / 2), width: side, height: side };
}
