import { describe, expect, it } from 'vitest';
import { FER_CLASSES } from '../../src/classes.js';
import { InputError } from '../../src/errors.js';
import { ferMetadata, parseFerMetadata } from '../../src/io/fer-metadata.js';

describe('fer-gpu checkpoint metadata', () => {
  it('round-trips through ferMetadata and parseFerMetadata', () => {
    const meta = ferMetadata({ width: 16, mean: 0.507, std: 0.255, classes: ['happy', 'sad', 'other'] });
    expect(meta).toEqual({
      format: 'pt',
      'fer-gpu.arch': 'fer-resnet18',
      'fer-gpu.width': '16',
      'fer-gpu.mean': '0.507',
      'fer-gpu.std': '0.255',
      'fer-gpu.classes': 'happy,sad,other',
    });
    expect(parseFerMetadata(meta)).toEqual({
      arch: 'fer-resnet18',
      width: 16,
      mean: 0.507,
      std: 0.255,
      classes: ['happy', 'sad', 'other'],
    });
  });

  it('defaults absent entries (a plain PyTorch state dict)', () => {
    expect(parseFerMetadata({ format: 'pt' })).toEqual({
      arch: 'fer-resnet18',
      width: undefined,
      mean: 0.5,
      std: 0.5,
      classes: [...FER_CLASSES],
    });
    expect(ferMetadata({ width: 8 })['fer-gpu.classes']).toBe(FER_CLASSES.join(','));
  });

  it.each([
    [{ 'fer-gpu.arch': 'resnet50' }, /m\.safetensors: metadata "fer-gpu\.arch" must be "fer-resnet18".*got "resnet50"/],
    [{ 'fer-gpu.width': '4.5' }, /"fer-gpu\.width" must be a positive integer, got "4\.5"/],
    [{ 'fer-gpu.width': '0' }, /"fer-gpu\.width" must be a positive integer/],
    [{ 'fer-gpu.width': ' 8' }, /"fer-gpu\.width" must be a positive integer/],
    [{ 'fer-gpu.mean': '' }, /"fer-gpu\.mean" must be a finite number, got ""/],
    [{ 'fer-gpu.mean': 'NaN' }, /"fer-gpu\.mean" must be a finite number/],
    [{ 'fer-gpu.std': '0' }, /"fer-gpu\.std" must be positive, got "0"/],
    [{ 'fer-gpu.classes': 'happy' }, /"fer-gpu\.classes" must list at least 2 classes/],
    [{ 'fer-gpu.classes': 'happy,,sad' }, /class names must be non-empty/],
    [{ 'fer-gpu.classes': 'happy,sad,happy' }, /class "happy" appears twice/],
    [{ 'fer-gpu.temperature': '0' }, /"fer-gpu\.temperature" must be positive, got "0"/],
    [{ 'fer-gpu.temperature': '-1' }, /"fer-gpu\.temperature" must be positive, got "-1"/],
    [{ 'fer-gpu.temperature': 'hot' }, /"fer-gpu\.temperature" must be a finite number/],
    [{ 'fer-gpu.logit-bias': '1,2' }, /"fer-gpu\.logit-bias" must have one number per class \(7\)/],
    [{ 'fer-gpu.logit-bias': '0,0,0,x,0,0,0' }, /"fer-gpu\.logit-bias" must be comma-separated finite numbers/],
    [{ 'fer-gpu.calibration': '{"split":' }, /"fer-gpu\.calibration" must be a JSON object/],
    [{ 'fer-gpu.calibration': '[1,2]' }, /"fer-gpu\.calibration" must be a JSON object/],
  ])('rejects %j', (meta, message) => {
    expect(() => parseFerMetadata(meta, 'm.safetensors')).toThrow(InputError);
    expect(() => parseFerMetadata(meta, 'm.safetensors')).toThrow(message);
  });

  it('refuses to write metadata it could not read back', () => {
    expect(() => ferMetadata({ width: 0 })).toThrow(/width must be a positive integer/);
    expect(() => ferMetadata({ width: 4, std: 0 })).toThrow(/std must be a positive number/);
    expect(() => ferMetadata({ width: 4, mean: NaN })).toThrow(/mean must be a finite number/);
    expect(() => ferMetadata({ width: 4, classes: ['a,b', 'c'] })).toThrow(/free of commas/);
  });

  it('records a calibration: temperature, logit bias and how it was fitted', () => {
    const calibration = { temperature: 1.25, logitBias: [0.5, -0.25, 0, 0, 0, 0, -0.25] };
    const calibrationInfo = { fittedOn: { split: 'PublicTest' } };
    const meta = ferMetadata({ width: 8, calibration, calibrationInfo });
    expect(meta['fer-gpu.temperature']).toBe('1.25');
    expect(meta['fer-gpu.logit-bias']).toBe('0.5,-0.25,0,0,0,0,-0.25');
    expect(JSON.parse(meta['fer-gpu.calibration']!)).toEqual(calibrationInfo);
    expect(parseFerMetadata(meta)).toMatchObject({ calibration, calibrationInfo });
    // a temperature alone, or a bias alone (temperature 1); other class counts
    expect(parseFerMetadata({ 'fer-gpu.temperature': '0.8' }).calibration).toEqual({ temperature: 0.8 });
    expect(parseFerMetadata({ 'fer-gpu.logit-bias': '1,0,0,0,0,0,0' }).calibration).toEqual({
      temperature: 1,
      logitBias: [1, 0, 0, 0, 0, 0, 0],
    });
    const three = ferMetadata({ width: 8, classes: ['a', 'b', 'c'], calibration: { temperature: 2, logitBias: [0.5, -0.25, 0] } });
    expect(parseFerMetadata(three).calibration).toEqual({ temperature: 2, logitBias: [0.5, -0.25, 0] });
    // none: no keys written, none read
    const plain = parseFerMetadata(ferMetadata({ width: 8 }));
    expect('calibration' in plain || 'calibrationInfo' in plain).toBe(false);
    expect(() => ferMetadata({ width: 8, calibration: { temperature: -1 } })).toThrow(/temperature must be a positive number/);
    expect(() => ferMetadata({ width: 8, calibration: { temperature: 0, logitBias: [0, 0, 0, 0, 0, 0, 0] } })).toThrow(InputError);
    expect(() => ferMetadata({ width: 8, calibration: { temperature: 1, logitBias: [0] } })).toThrow(
      /logit bias has 1 entries, the model has 7 classes/,
    );
  });
});
