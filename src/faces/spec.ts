/**
 * What defines a BlazeFace detector besides its weights: the graph format stored in the shipped
 * safetensors (written by scripts/blazeface/convert.ts, run by blazeface.ts), and MediaPipe's
 * anchor and decoding settings for each range (mediapipe/modules/face_detection/
 * face_detection_{full,short}_range.pbtxt and face_detection.pbtxt).
 */

/** 'full': 192x192 input, 2304 anchors at stride 4, faces up to ~5 m (group photos). 'short': 128x128, 896 anchors, faces within ~2 m (selfies, webcams). */
export type BlazeFaceRange = 'full' | 'short';

/** One node of the stored graph; tensors are named, NCHW, and each node's output is new. */
export type GraphNode =
  | {
      op: 'conv2d';
      input: string;
      output: string;
      weight: string;
      bias: string;
      stride: number;
      padding: [number, number];
      residual?: string;
      relu: boolean;
    }
  | {
      op: 'depthwise';
      input: string;
      output: string;
      weight: string;
      bias: string;
      stride: number;
      padding: [number, number, number, number];
      relu: boolean;
    }
  | { op: 'pad'; input: string; output: string; channels?: [number, number]; height?: [number, number]; width?: [number, number] }
  | { op: 'maxPool'; input: string; output: string; size: number }
  | { op: 'resize'; input: string; output: string; size: [number, number] }
  | { op: 'add'; a: string; b: string; output: string; relu: boolean }
  | { op: 'relu'; input: string; output: string };

/** The stored graph: its input, nodes in order, and the score and box heads in anchor order. */
export interface BlazeFaceGraph {
  input: string;
  nodes: GraphNode[];
  /** Heads [N, A, h, w] of raw scores (A anchors per cell), concatenated in this order. */
  scores: string[];
  /** Heads [N, 16·A, h, w] of box and keypoint offsets, in the same order. */
  boxes: string[];
}

/** MediaPipe's SsdAnchorsCalculator and TensorsToDetectionsCalculator settings of a range. */
export interface BlazeFaceSpec {
  range: BlazeFaceRange;
  /** Square input side, pixels. */
  inputSize: number;
  /** Feature-map strides, one per anchor layer (consecutive equal strides share a map). */
  strides: number[];
  /** Anchors per cell per layer: 1 (aspect ratio 1) + 1 when interpolatedScaleAspectRatio > 0. */
  anchorsPerLayer: number;
  numAnchors: number;
  /** Raw offsets are divided by this (x_scale = y_scale = w_scale = h_scale). */
  coordScale: number;
  /** Scores below this are dropped before suppression. */
  minScore: number;
  /** Raw scores are clipped to ±this before the sigmoid. */
  scoreClip: number;
  /** Weighted non-maximum suppression merges boxes whose IoU exceeds this. */
  iouThreshold: number;
  /**
   * The expression model's crop of a detected face (detect.ts faceCrop): a square `scale` times
   * the box's side, its centre `shiftY` box sides below the box's. Measured by running this
   * detector on FER2013 test images (npx tsx scripts/blazeface/fer-crop.ts): the median box is
   * that fraction of the 48x48 frame, at that offset, so the crop frames a face as FER2013 does.
   */
  ferCrop: { scale: number; shiftY: number };
}

/** The settings of a range (MediaPipe's face_detection_*_range.pbtxt). */
export function blazeFaceSpec(range: BlazeFaceRange): BlazeFaceSpec {
  const common = { scoreClip: 100, iouThreshold: 0.3 };
  if (range === 'full')
    return {
      range,
      inputSize: 192,
      strides: [4],
      anchorsPerLayer: 1,
      numAnchors: 2304,
      coordScale: 192,
      minScore: 0.6,
      ferCrop: { scale: 1.22, shiftY: -0.05 },
      ...common,
    };
  if (range === 'short')
    return {
      range,
      inputSize: 128,
      strides: [8, 16, 16, 16],
      anchorsPerLayer: 2,
      numAnchors: 896,
      coordScale: 128,
      minScore: 0.5,
      ferCrop: { scale: 1.1, shiftY: -0.09 },
      ...common,
    };
  throw new Error(`BlazeFace range must be 'full' or 'short', got ${JSON.stringify(range)}`);
}
