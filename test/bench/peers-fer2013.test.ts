/**
 * The peer expression models (bench/peers/fer-models.ts) and the scoring of the side-by-side
 * script (bench/peers/fer2013.ts): label mapping by name, sklearn's scores, and each peer's
 * accuracy on real FER2013 images (skipped without ../shared/data).
 */
import { describe, expect, it } from 'vitest';
import { FACE_API_TO_FER, faceApiExpressionNet, ferOrder, humanEmotion } from '../../bench/peers/fer-models.js';
import { peersMarkdown, scoreRows } from '../../bench/peers/fer2013.js';
import { FER_CLASSES } from '../../src/classes.js';
import { classificationReport } from '../../src/metrics/index.js';
import { loadFer2013 } from '../../src/data/auto.js';
import { splitIndices, subset } from '../../src/data/dataset.js';
import { HAVE_SAMPLE, SAMPLE_CSV } from '../data/helpers.js';

describe('peer models: class order', () => {
  it("maps face-api's labels onto FER2013's by name", () => {
    const faceApi = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'];
    expect(ferOrder(faceApi, FACE_API_TO_FER)).toEqual([6, 3, 4, 0, 2, 1, 5]);
    expect(ferOrder([...FER_CLASSES])).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => ferOrder(['neutral', 'happy'])).toThrow(/do not map one-to-one/);
    expect(() => ferOrder([...FER_CLASSES.slice(0, 6), 'contempt'])).toThrow(/do not map one-to-one/);
  });

  it('scores as scikit-learn does (accuracy, macro recall and F1, per-class recall)', () => {
    const labels = [0, 1, 2, 3, 4, 5, 6, 0, 3, 3];
    const pred = [0, 2, 2, 3, 4, 6, 6, 1, 3, 0];
    const p = new Float32Array(labels.length * 7);
    pred.forEach((c, r) => (p[r * 7 + c] = 1));
    const rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const s = scoreRows(p, labels, rows);
    const ref = classificationReport(labels, pred, { labels: [0, 1, 2, 3, 4, 5, 6] });
    expect(s.accuracy).toBeCloseTo(ref.accuracy!, 12);
    expect(s.macroRecall).toBeCloseTo(ref.macroAvg.recall, 12);
    expect(s.macroF1).toBeCloseTo(ref.macroAvg.f1, 12);
    expect(s.recall.happy).toBeCloseTo(2 / 3, 12);
    expect(scoreRows(p, labels, [8, 9]).images).toBe(2);
    const md = peersMarkdown({ models: [{ name: 'x', scores: { PrivateTest: s } }] });
    expect(md).toMatch(/\| x \| 60\.0% \| 0\.\d{3} \| 0\.\d{3} \| – \| – \| – \|/);
  });
});

describe.skipIf(!HAVE_SAMPLE)('peer models on real FER2013 faces (fer2013-sample.csv)', () => {
  it('face-api.js FaceExpressionNet and Human mini-Xception: probabilities in FER order, accuracy well above chance', async () => {
    const ds = await loadFer2013(SAMPLE_CSV);
    // 10 PrivateTest faces per class
    const idx = splitIndices(ds, 'PrivateTest').filter(
      (i, _, all) => all.filter((j) => ds.labels[j] === ds.labels[i] && j <= i).length <= 10,
    );
    const test = subset(ds, idx);
    expect(test.length).toBe(70);
    for (const make of [faceApiExpressionNet, humanEmotion]) {
      const peer = await make();
      const p = await peer.predict(test.pixels, test.length);
      peer.dispose();
      for (let r = 0; r < test.length; r++) expect(p.subarray(r * 7, r * 7 + 7).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      const s = scoreRows(p, test.labels, [...test.labels.keys()]);
      // about 0.6 for both with the right preprocessing and class order; chance is 1/7
      expect(s.accuracy, peer.name).toBeGreaterThan(0.45);
      expect(s.recall.happy, peer.name).toBeGreaterThan(0.6);
    }
  }, 120_000);
});
