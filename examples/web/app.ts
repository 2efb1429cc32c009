/**
 * The demo page (examples/web/index.html): fer-gpu's browser entry on this browser's WebGPU.
 * Choose an image, try the sample photo or start the webcam: recognize() finds the faces
 * (BlazeFace) and the expression of each (fer-resnet18); boxes and labels are drawn on the
 * picture, and the largest face's probabilities shown as bars, with the adapter in use and the
 * time per frame. Served by `npm run demo` (serve.ts), which bundles this file with fer-gpu's
 * browser entry; in an app, import from 'fer-gpu/browser' instead.
 *
 * Query parameters: `?weights=<url>` loads another expression checkpoint instead of the shipped one.
 */
import {
  createDevice,
  faceLabel,
  loadFaceModels,
  predict,
  recognize,
  type BlazeFaceRange,
  type Device,
  type LoadedFaceModels,
  type RecognizedFace,
} from '../../src/browser/index.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = $('status');
const errorBox = $('error');
const fileInput = $<HTMLInputElement>('file');
const chooseLabel = $('choose-label');
const sampleButton = $<HTMLButtonElement>('sample');
const webcamButton = $<HTMLButtonElement>('webcam');
const rangeSelect = $<HTMLSelectElement>('range');
const picture = $<HTMLCanvasElement>('picture');
const placeholder = $('placeholder');
const facesNote = $('faces-note');
const bars = $('bars');
const timing = $('timing');

/** Box and label colour (the tests look for it on a screenshot). */
const BOX_COLOUR = '#00e5ff';

let device: Device | undefined;
let models: LoadedFaceModels | undefined;
let webcam: { stream: MediaStream; video: HTMLVideoElement } | undefined;
let frames = 0;

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.classList.add('shown');
  document.body.dataset.error = message;
}

function clearError(): void {
  errorBox.textContent = '';
  errorBox.classList.remove('shown');
  delete document.body.dataset.error;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function setEnabled(on: boolean): void {
  fileInput.disabled = !on;
  chooseLabel.classList.toggle('disabled', !on);
  sampleButton.disabled = !on;
  webcamButton.disabled = !on;
  rangeSelect.disabled = !on;
}

const range = (): BlazeFaceRange => rangeSelect.value as BlazeFaceRange;

/** One row per class: name, bar, percentage. */
function buildBars(classes: readonly string[]): void {
  bars.replaceChildren();
  for (const name of classes) {
    const row = document.createElement('div');
    row.className = 'row';
    row.style.display = 'contents';
    row.dataset.class = name;
    row.innerHTML = `<span class="name"></span><div class="track"><div class="bar"></div></div><span class="pct">–</span>`;
    row.querySelector('.name')!.textContent = name;
    bars.append(row);
  }
}

/** The bars of one face's probabilities, or empty bars (no face). */
function showBars(p: { label: string; probabilities: Record<string, number> } | undefined): void {
  for (const row of bars.querySelectorAll<HTMLElement>('.row')) {
    const v = p ? (p.probabilities[row.dataset.class!] ?? 0) : 0;
    row.dataset.p = String(v);
    row.classList.toggle('top', row.dataset.class === p?.label);
    row.querySelector<HTMLElement>('.bar')!.style.width = `${(v * 100).toFixed(2)}%`;
    row.querySelector('.pct')!.textContent = p ? `${(v * 100).toFixed(1)}%` : '–';
  }
  if (p) document.body.dataset.label = p.label;
  else delete document.body.dataset.label;
}

/** The face the bars show: the largest (the person nearest the camera). */
function largest(faces: readonly RecognizedFace[]): RecognizedFace | undefined {
  return faces.reduce<RecognizedFace | undefined>(
    (a, f) => (!a || f.box.width * f.box.height > a.box.width * a.box.height ? f : a),
    undefined,
  );
}

/**
 * Draws `source` on the picture canvas at its own size, then a box and "label NN%" per face (the
 * face the bars show in a thicker line). The faces are recorded on the canvas for the tests.
 */
function drawPicture(
  source: CanvasImageSource,
  width: number,
  height: number,
  faces: readonly RecognizedFace[],
  shown: RecognizedFace | undefined,
): void {
  if (picture.width !== width || picture.height !== height) [picture.width, picture.height] = [width, height];
  placeholder.style.display = 'none';
  picture.style.display = 'block';
  const ctx = picture.getContext('2d')!;
  ctx.drawImage(source, 0, 0, width, height);
  const line = Math.max(2, Math.round(Math.max(width, height) / 300));
  const font = Math.max(12, Math.round(Math.max(width, height) / 45));
  ctx.font = `600 ${font}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const f of faces) {
    const { x, y, width: w, height: h } = f.box;
    ctx.strokeStyle = ctx.fillStyle = BOX_COLOUR;
    ctx.lineWidth = f === shown ? 2 * line : line;
    ctx.strokeRect(x, y, w, h);
    const text = faceLabel(f);
    const tw = ctx.measureText(text).width + font * 0.6;
    const th = font * 1.3;
    const ty = y - ctx.lineWidth / 2 - th >= 0 ? y - ctx.lineWidth / 2 - th : y + h + ctx.lineWidth / 2;
    ctx.fillRect(x - ctx.lineWidth / 2, ty, tw, th);
    ctx.fillStyle = '#000';
    ctx.fillText(text, x - ctx.lineWidth / 2 + font * 0.3, ty + font * 0.15);
  }
  picture.dataset.faces = JSON.stringify(faces.map((f) => ({ box: f.box, label: f.label, score: f.score })));
}

function showFaces(faces: readonly RecognizedFace[]): RecognizedFace | undefined {
  const shown = largest(faces);
  showBars(shown);
  document.body.dataset.faces = String(faces.length);
  facesNote.textContent =
    faces.length === 0
      ? 'No face found.'
      : faces.length === 1
        ? 'One face; the bars are its expression.'
        : `${faces.length} faces; the bars are the largest one's (thick box).`;
  return shown;
}

/** An image (file or the sample photo): faces found and drawn; a face crop with no face found is classified whole. */
async function onImage(source: Blob, name: string): Promise<void> {
  stopWebcam();
  clearError();
  try {
    const t0 = performance.now();
    const faces = await recognize(models!, source, { range: range() }); // decodes PNG/JPEG as Node does
    const ms = performance.now() - t0;
    const bitmap = await createImageBitmap(source);
    const shown = showFaces(faces);
    drawPicture(bitmap, bitmap.width, bitmap.height, faces, shown);
    let how = 'decode, detection and expressions';
    if (
      faces.length === 0 &&
      Math.max(bitmap.width, bitmap.height) <= Math.min(bitmap.width, bitmap.height) * 1.25 &&
      Math.max(bitmap.width, bitmap.height) <= 800
    ) {
      // A face crop (FER2013's are 48x48) is mostly face: too close for a face detector. Classify it whole.
      const { model, mean, std, classes } = models!.expression;
      const [p] = await predict(model, [source], { mean, std, classNames: classes });
      showBars(p);
      facesNote.textContent = 'No face found: the image looks like a face crop, so the bars are the whole image classified as one face.';
      document.body.dataset.whole = name;
      how = 'decode, detection, and the whole image classified';
    } else delete document.body.dataset.whole;
    bitmap.close();
    timing.textContent = `${name}: ${faces.length} face${faces.length === 1 ? '' : 's'}, ${ms.toFixed(0)} ms (${how})`;
    document.body.dataset.classified = name;
  } catch (e) {
    showError(messageOf(e));
  } finally {
    fileInput.value = '';
  }
}

async function onFile(): Promise<void> {
  const file = fileInput.files?.[0];
  if (file) await onImage(file, file.name);
}

async function onSample(): Promise<void> {
  try {
    const res = await fetch('/samples/group-photo.jpg');
    if (!res.ok) throw new Error(`/samples/group-photo.jpg: HTTP ${res.status}`);
    await onImage(await res.blob(), 'group-photo.jpg');
  } catch (e) {
    showError(messageOf(e));
  }
}

async function startWebcam(): Promise<void> {
  clearError();
  let stream: MediaStream;
  try {
    if (!navigator.mediaDevices?.getUserMedia)
      throw new Error('this browser gives no camera access here (navigator.mediaDevices is missing: a secure context is needed)');
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (e) {
    const name = (e as Error).name;
    showError(
      name === 'NotAllowedError'
        ? 'The camera was not allowed: allow it in the browser to use the webcam.'
        : name === 'NotFoundError'
          ? 'No camera was found.'
          : `Cannot start the webcam: ${messageOf(e)}`,
    );
    return;
  }
  const video = document.createElement('video');
  Object.assign(video, { muted: true, playsInline: true, srcObject: stream });
  await video.play();
  webcam = { stream, video };
  webcamButton.textContent = 'Stop webcam';
  frames = 0;
  // Each frame is drawn once into `grab`: the pixels recognize() sees are the ones shown.
  const grab = document.createElement('canvas');
  const grabCtx = grab.getContext('2d', { willReadFrequently: true })!;
  let last = performance.now();
  const loop = async (): Promise<void> => {
    if (webcam?.video !== video) return;
    try {
      const [w, h] = [video.videoWidth, video.videoHeight];
      if (grab.width !== w || grab.height !== h) [grab.width, grab.height] = [w, h];
      grabCtx.drawImage(video, 0, 0, w, h);
      const t0 = performance.now();
      const faces = await recognize(models!, grabCtx.getImageData(0, 0, w, h), { range: range() });
      const ms = performance.now() - t0;
      if (webcam?.video !== video) return; // stopped meanwhile: leave the last picture as it is
      drawPicture(grab, w, h, faces, showFaces(faces));
      frames++;
      const now = performance.now();
      timing.textContent = `webcam: ${ms.toFixed(0)} ms per frame (${(1000 / (now - last)).toFixed(1)} frames/s), frame ${frames}, ${faces.length} face${faces.length === 1 ? '' : 's'}`;
      last = now;
      document.body.dataset.frames = String(frames);
    } catch (e) {
      showError(messageOf(e));
      stopWebcam();
      return;
    }
    requestAnimationFrame(() => void loop());
  };
  void loop();
}

function stopWebcam(): void {
  if (!webcam) return;
  for (const t of webcam.stream.getTracks()) t.stop();
  webcam = undefined;
  webcamButton.textContent = 'Start webcam';
}

async function start(): Promise<void> {
  try {
    device = await createDevice();
  } catch (e) {
    status.textContent = 'WebGPU is not available, so the demo cannot run here.';
    showError(messageOf(e));
    return;
  }
  const i = device.info;
  const adapter = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unnamed adapter';
  status.textContent = `WebGPU adapter: ${adapter}${i.isFallbackAdapter ? ' (software fallback)' : ''}. Loading the models…`;
  document.body.dataset.adapter = adapter;
  try {
    models = await loadFaceModels(device, { weights: new URLSearchParams(location.search).get('weights') ?? undefined });
  } catch (e) {
    status.textContent = `WebGPU adapter: ${adapter}. The models could not be loaded.`;
    showError(messageOf(e));
    return;
  }
  const { model, mean, std, classes } = models.expression;
  buildBars(classes);
  // The first run compiles every kernel (seconds on a software adapter): do it now, so that the
  // times shown are those of the work itself: both detectors on a blank frame, the expression model on a blank face.
  status.textContent = `WebGPU adapter: ${adapter}. Compiling the kernels…`;
  const t0 = performance.now();
  const blank = new ImageData(640, 480);
  for (const r of ['full', 'short'] as const) await recognize(models, blank, { range: r });
  await predict(model, [new Uint8Array(48 * 48)], { mean, std, classNames: classes });
  const width = (model as { width?: number }).width;
  status.textContent = `WebGPU adapter: ${adapter}${i.isFallbackAdapter ? ' (software fallback)' : ''} · BlazeFace and fer-resnet18${width ? `(${width})` : ''} ready (kernels compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s)`;
  document.body.dataset.ready = 'true';
  setEnabled(true);
}

fileInput.addEventListener('change', () => void onFile());
sampleButton.addEventListener('click', () => void onSample());
webcamButton.addEventListener('click', () => void (webcam ? stopWebcam() : startWebcam()));
void start();
