/**
 * The demo page (examples/web/index.html): fer-gpu's browser entry on this browser's WebGPU.
 * Choose an image or start the webcam; the expression probabilities are drawn as bars, with the
 * adapter in use and the time per frame. Served by `npm run demo` (serve.ts), which bundles this
 * file with fer-gpu's browser entry; in an app, import from 'fer-gpu/browser' instead.
 *
 * Query parameters: `?weights=<url>` loads another checkpoint instead of the shipped model.
 */
import { createDevice, decodeImage, loadPretrained, predict, type Device, type LoadedModel, type Prediction } from '../../src/browser/index.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = $('status');
const errorBox = $('error');
const fileInput = $<HTMLInputElement>('file');
const chooseLabel = $('choose-label');
const webcamButton = $<HTMLButtonElement>('webcam');
const view = $('view');
const crop = $('crop');
const input48 = $<HTMLCanvasElement>('input48');
const bars = $('bars');
const timing = $('timing');

let device: Device | undefined;
let loaded: LoadedModel | undefined;
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
  webcamButton.disabled = !on;
}

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

function showPrediction(p: Prediction): void {
  for (const row of bars.querySelectorAll<HTMLElement>('.row')) {
    const v = p.probabilities[row.dataset.class!] ?? 0;
    row.dataset.p = String(v);
    row.classList.toggle('top', row.dataset.class === p.label);
    row.querySelector<HTMLElement>('.bar')!.style.width = `${(v * 100).toFixed(2)}%`;
    row.querySelector('.pct')!.textContent = `${(v * 100).toFixed(1)}%`;
  }
  document.body.dataset.label = p.label;
}

function showInput(gray: Uint8Array): void {
  const rgba = new Uint8ClampedArray(48 * 48 * 4);
  for (let i = 0; i < gray.length; i++) rgba.set([gray[i]!, gray[i]!, gray[i]!, 255], i * 4);
  input48.getContext('2d')!.putImageData(new ImageData(rgba, 48, 48), 0, 0);
}

/** Decodes and classifies one image; returns the milliseconds it took. */
async function classify(source: Parameters<typeof decodeImage>[0], name?: string): Promise<number> {
  const { model, info } = loaded!;
  const t0 = performance.now();
  const gray = await decodeImage(source, name);
  const [p] = await predict(model, [gray], { mean: info.mean, std: info.std, classNames: info.classes });
  const ms = performance.now() - t0;
  showInput(gray);
  showPrediction(p!);
  return ms;
}

async function onFile(): Promise<void> {
  const file = fileInput.files?.[0];
  if (!file) return;
  stopWebcam();
  clearError();
  const img = document.createElement('img');
  img.alt = file.name;
  img.src = URL.createObjectURL(file);
  img.onerror = () => img.remove(); // not an image the browser shows; decodeImage says why
  view.replaceChildren(img, crop);
  crop.style.display = 'none';
  try {
    const ms = await classify(file, file.name);
    timing.textContent = `${file.name}: ${ms.toFixed(0)} ms (decode, resize and forward pass)`;
    document.body.dataset.classified = file.name;
  } catch (e) {
    showError(messageOf(e));
  } finally {
    fileInput.value = '';
  }
}

/** The centre square of a video frame (without a face detector, the face is assumed central). */
function centreSquare(video: HTMLVideoElement, canvas: HTMLCanvasElement): HTMLCanvasElement {
  const side = Math.min(video.videoWidth, video.videoHeight);
  canvas.width = canvas.height = side;
  canvas.getContext('2d')!.drawImage(video, (video.videoWidth - side) / 2, (video.videoHeight - side) / 2, side, side, 0, 0, side, side);
  const scale = Math.min(view.clientWidth / video.videoWidth, view.clientHeight / video.videoHeight);
  Object.assign(crop.style, { display: 'block', width: `${side * scale}px`, height: `${side * scale}px` });
  return canvas;
}

async function startWebcam(): Promise<void> {
  clearError();
  let stream: MediaStream;
  try {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser gives no camera access here (navigator.mediaDevices is missing: a secure context is needed)');
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (e) {
    const name = (e as Error).name;
    showError(
      name === 'NotAllowedError' ? 'The camera was not allowed: allow it in the browser to use the webcam.'
      : name === 'NotFoundError' ? 'No camera was found.'
      : `Cannot start the webcam: ${messageOf(e)}`,
    );
    return;
  }
  const video = document.createElement('video');
  Object.assign(video, { muted: true, playsInline: true, srcObject: stream });
  view.replaceChildren(video, crop);
  await video.play();
  webcam = { stream, video };
  webcamButton.textContent = 'Stop webcam';
  frames = 0;
  const canvas = document.createElement('canvas');
  let last = performance.now();
  const loop = async (): Promise<void> => {
    if (webcam?.video !== video) return;
    try {
      const ms = await classify(centreSquare(video, canvas), 'webcam frame');
      frames++;
      const now = performance.now();
      timing.textContent = `webcam: ${ms.toFixed(0)} ms per frame (${(1000 / (now - last)).toFixed(1)} frames/s), frame ${frames}`;
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
  crop.style.display = 'none';
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
  status.textContent = `WebGPU adapter: ${adapter}${i.isFallbackAdapter ? ' (software fallback)' : ''}. Loading the model…`;
  document.body.dataset.adapter = adapter;
  try {
    loaded = await loadPretrained(device, new URLSearchParams(location.search).get('weights') ?? undefined);
  } catch (e) {
    status.textContent = `WebGPU adapter: ${adapter}. The model could not be loaded.`;
    showError(messageOf(e));
    return;
  }
  const { model, info } = loaded;
  buildBars(info.classes);
  // The first forward pass compiles every kernel (seconds on a software adapter): do it now, so
  // that the times shown are those of the work itself.
  status.textContent = `WebGPU adapter: ${adapter}. Compiling the kernels…`;
  const t0 = performance.now();
  await predict(model, [new Uint8Array(48 * 48)], { mean: info.mean, std: info.std, classNames: info.classes });
  status.textContent = `WebGPU adapter: ${adapter}${i.isFallbackAdapter ? ' (software fallback)' : ''} · fer-resnet18(${info.width}) ready (kernels compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s)`;
  document.body.dataset.ready = 'true';
  setEnabled(true);
}

fileInput.addEventListener('change', () => void onFile());
webcamButton.addEventListener('click', () => void (webcam ? stopWebcam() : startWebcam()));
void start();
