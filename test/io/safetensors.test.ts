import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { encodeSafetensors, readSafetensors, writeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';
import * as codec from '../../src/io/safetensors-bytes.js';
import { Rng } from '../../src/random.js';

/** A safetensors buffer with the given header text (no padding added) and data bytes. */
function build(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0)): Buffer {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : Buffer.from(header);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

function readError(bytes: Uint8Array, opts = {}): InputError {
  try {
    readSafetensors(bytes, { name: 'bad.safetensors', ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected readSafetensors to throw');
}

const f32 = (...v: number[]): SafetensorsTensor => ({ dtype: 'F32', shape: [v.length], data: Float32Array.from(v) });

describe('encode/read round trip', () => {
  it('the platform-free codec gives the same bytes as a plain Uint8Array, and decodes them naming its source', () => {
    const tensors = { 'b.w': f32(1, 2), 'a.w': f32(3), n: { dtype: 'I64', shape: [], data: BigInt64Array.of(5n) } as SafetensorsTensor };
    const plain = codec.encodeSafetensors(tensors, { k: 'v' });
    expect(Object.getPrototypeOf(plain)).toBe(Uint8Array.prototype);
    expect(Buffer.from(plain).equals(encodeSafetensors(tensors, { k: 'v' }))).toBe(true);
    expect(codec.decodeSafetensors(plain).tensors['a.w']!.data).toEqual(Float32Array.of(3));
    expect(() => codec.decodeSafetensors(plain.subarray(0, 12), { name: 'weights.safetensors' })).toThrow(
      /^weights\.safetensors: not a valid safetensors file/,
    );
  });

  it('keeps every dtype, shape and value exactly, with aligned copies', () => {
    const backing = new Float32Array(8).fill(7);
    const tensors: Record<string, SafetensorsTensor> = {
      f32: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1.5, -0, NaN, Infinity, -3.4e38, 1e-45]) },
      f64: { dtype: 'F64', shape: [3], data: Float64Array.from([Math.PI, -Number.MAX_VALUE, 5e-324]) },
      i32: { dtype: 'I32', shape: [2, 1], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1]) },
      i64: { dtype: 'I64', shape: [], data: BigInt64Array.from([-(2n ** 63n)]) },
      u8: { dtype: 'U8', shape: [1, 3], data: Uint8Array.from([0, 128, 255]) },
      empty: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
      view: { dtype: 'F32', shape: [2], data: backing.subarray(3, 5) }, // a view into a larger buffer
      'unicodé.名前': { dtype: 'U8', shape: [1], data: Uint8Array.from([9]) },
    };
    const metadata = { 'fer-gpu.arch': 'fer-resnet18', note: 'ünïcode ✓', '0': 'integer-like key' };
    const bytes = encodeSafetensors(tensors, metadata);
    // Read from an odd offset so that no tensor is aligned in the source buffer.
    const shifted = Buffer.alloc(bytes.length + 1);
    bytes.copy(shifted, 1);
    const back = readSafetensors(shifted.subarray(1));

    expect(back.metadata).toEqual(metadata);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const r = back.tensors[name]!;
      expect(r.dtype, name).toBe(t.dtype);
      expect(r.shape, name).toEqual(t.shape);
      expect(r.data.constructor, name).toBe(t.data.constructor);
      expect(r.data.byteOffset, name).toBe(0);
      expect(
        Buffer.from(r.data.buffer, 0, r.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
        name,
      ).toBe(true);
    }
    expect(Object.is((back.tensors.f32!.data as Float32Array)[1], -0)).toBe(true);
  });

  it('lays tensors out as the reference does: by dtype (I64, F64, F32, I32, U8), then name; header padded to 8', () => {
    const bytes = encodeSafetensors({
      u: { dtype: 'U8', shape: [3], data: new Uint8Array(3) },
      b: f32(1),
      a: f32(2, 3),
      i: { dtype: 'I32', shape: [1], data: new Int32Array(1) },
      l: { dtype: 'I64', shape: [1], data: new BigInt64Array(1) },
      d: { dtype: 'F64', shape: [1], data: new Float64Array(1) },
    });
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const text = bytes.subarray(8, 8 + n).toString('utf8');
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text) as Record<string, { data_offsets: [number, number] }>;
    expect(Object.keys(header)).toEqual(['l', 'd', 'a', 'b', 'i', 'u']);
    expect(Object.values(header).map((h) => h.data_offsets)).toEqual([
      [0, 8],
      [8, 16],
      [16, 24],
      [24, 28],
      [28, 32],
      [32, 35],
    ]);
  });

  // Expected bytes from the reference implementation's own unit tests
  // (huggingface/safetensors, safetensors/src/tensor.rs: test_serialization, test_empty,
  // test_serialization_forced_alignement).
  it('produces the reference implementation bytes', () => {
    const data = Float32Array.from([0, 1, 2, 3, 4, 5]);
    const header1 = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(encodeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data } })).toEqual(
      Buffer.concat([Buffer.from([64, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(header1), Buffer.from(data.buffer)]),
    );
    const header2 = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ';
    expect(encodeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data } })).toEqual(
      Buffer.concat([Buffer.from([72, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(header2), Buffer.from(data.buffer)]),
    );
    expect([...encodeSafetensors({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect([...encodeSafetensors({}, { framework: 'pt' })]).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119,
      111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('rejects tensors whose dtype, shape and data disagree', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ dtype: 'F32', shape: [2], data: new Float64Array(2) }, /"w": dtype F32 needs its data in a Float32Array/],
      [{ dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }, /"w": shape \[2, 2\] has 4 elements but the data has 3/],
      [{ dtype: 'F32', shape: [-1], data: new Float32Array(0) }, /"w": shape \[-1\] is not a list of non-negative integers/],
      [{ dtype: 'F16', shape: [1], data: new Uint16Array(1) }, /"w": dtype "F16" is not one of F32, F64, I32, I64, U8/],
    ];
    for (const [t, message] of cases) {
      expect(() => encodeSafetensors({ w: t as SafetensorsTensor })).toThrow(message);
      expect(() => encodeSafetensors({ w: t as SafetensorsTensor })).toThrow(InputError);
    }
    expect(() => encodeSafetensors({ __metadata__: f32(1) })).toThrow(/reserved/);
    expect(() => encodeSafetensors({}, { epoch: 3 as unknown as string })).toThrow(/metadata "epoch" must be a string/);
  });
});

describe('hostile and malformed files → InputError naming the file and the fault', () => {
  const ok = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
  const four = new Uint8Array(4);
  const cases: [string, Buffer, RegExp][] = [
    ['empty file', Buffer.alloc(0), /has 0 bytes, fewer than the 8/],
    ['7 bytes', Buffer.alloc(7), /has 7 bytes, fewer than the 8/],
    ['header length past the end', build(ok, four).subarray(0, 40), /header length 54 runs past the end of the file \(40 bytes\)/],
    [
      'header length 2^64 - 1',
      Buffer.from([255, 255, 255, 255, 255, 255, 255, 255, 123, 125]),
      /header length 18446744073709551615 is over the limit of 100000000/,
    ],
    ['header not UTF-8', build(Uint8Array.from([123, 34, 0xff, 0xfe, 34, 58, 49, 125])), /header is not valid UTF-8/],
    ['header with a BOM', build(`\ufeff${ok}`, four), /must be a JSON object starting with "\{"/],
    ['header a JSON list', build('[1, 2]'), /must be a JSON object starting with "\{"/],
    ['header not JSON', build('{"a": {"dtype": '), /header is not valid JSON/],
    ['metadata a list', build('{"__metadata__": ["x"]}'), /"__metadata__" must be an object of strings, got \["x"\]/],
    ['metadata value a number', build('{"__metadata__": {"epoch": 3}}'), /"__metadata__" must map strings to strings, but "epoch" is 3/],
    ['entry not an object', build('{"a": 5}'), /tensor "a": expected an object with dtype, shape and data_offsets, got 5/],
    ['missing dtype', build('{"a":{"shape":[1],"data_offsets":[0,4]}}', four), /tensor "a": unknown dtype undefined/],
    ['unknown dtype', build('{"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}', four), /tensor "a": unknown dtype "F17"/],
    [
      'unsupported dtype',
      build('{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}', four),
      /dtype BF16 is not supported by fer-gpu .*tensor.float\(\)/,
    ],
    [
      'shape a number',
      build('{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}', four),
      /tensor "a": shape must be a list of non-negative integers, got 1/,
    ],
    ['negative dim', build('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', four), /shape must be .* got \[-1\]/],
    ['fractional dim', build('{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', four), /shape must be .* got \[1.5\]/],
    ['string dim', build('{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}', four), /shape must be .* got \["1"\]/],
    [
      'deeply nested shape',
      build(`{"a":{"dtype":"F32","shape":${'['.repeat(100_000)}${']'.repeat(100_000)},"data_offsets":[0,4]}}`, four),
      /shape must be a list of non-negative integers, got /,
    ],
    ['huge dims', build(`{"a":{"dtype":"F32","shape":[${2 ** 40},${2 ** 40}],"data_offsets":[0,4]}}`, four), /has too many elements/],
    [
      'missing data_offsets',
      build('{"a":{"dtype":"F32","shape":[1]}}', four),
      /data_offsets must be two integers \[begin, end\], got undefined/,
    ],
    ['three data_offsets', build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', four), /data_offsets must be two integers/],
    ['string data_offsets', build('{"a":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}', four), /data_offsets must be two integers/],
    [
      'negative begin',
      build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', four),
      /data_offsets \[-4, 0\] are not within 0 <= begin <= end <= 4/,
    ],
    ['begin after end', build('{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}', four), /data_offsets \[4, 0\] are not within/],
    [
      'end past the data',
      build('{"a":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}', four),
      /data_offsets \[0, 4000000\] are not within 0 <= begin <= end <= 4 /,
    ],
    [
      'size mismatch',
      build('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', four),
      /tensor "a": dtype F32 and shape \[2\] need 8 bytes, but data_offsets \[0, 4\] hold 4/,
    ],
    [
      'overlap',
      build(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
        new Uint8Array(12),
      ),
      /tensor "b" \(bytes 4..12\) overlaps tensor "a"/,
    ],
    [
      'hole',
      build(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
        new Uint8Array(12),
      ),
      /data bytes 4..8 belong to no tensor \(a hole before tensor "b"\)/,
    ],
    [
      'hole at the start',
      build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Uint8Array(8)),
      /data bytes 0..4 belong to no tensor/,
    ],
    ['trailing bytes', build(ok, new Uint8Array(8)), /the data area has 8 bytes but the tensors end at byte 4/],
    [
      'duplicate tensor',
      build(
        '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}, "a" :{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}',
        new Uint8Array(2),
      ),
      /the header has the key "a" twice/,
    ],
    ['duplicate escaped key', build('{"__metadata__":{"k":"1","\\u006b":"2"}}'), /the header has the key "k" twice/],
  ];

  it.each(cases)('%s', (_what, bytes, message) => {
    const err = readError(bytes);
    expect(err.message).toMatch(/^bad\.safetensors: not a valid safetensors file: /);
    expect(err.message).toMatch(message);
  });

  it('honours maxHeaderBytes', () => {
    expect(readError(build(ok, four), { maxHeaderBytes: 16 }).message).toMatch(
      /header length 54 is over the limit of 16 bytes \(maxHeaderBytes\)/,
    );
  });

  it('accepts what the spec allows: no tensors, null metadata, padding, zero-size tensors at any offset', () => {
    expect(readSafetensors(build('{}')).tensors).toEqual({});
    expect(readSafetensors(build('{"__metadata__":null}  ')).metadata).toEqual({});
    const zero = readSafetensors(
      build(
        '{"z":{"dtype":"F64","shape":[0],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
        new Uint8Array(8),
      ),
    );
    expect(Object.keys(zero.tensors)).toEqual(['a', 'z', 'b']);
  });

  it('never fails with anything but InputError on truncated or corrupted files', () => {
    const good = encodeSafetensors(
      { 'conv.weight': f32(1, 2, 3), 'bn.num_batches_tracked': { dtype: 'I64', shape: [], data: BigInt64Array.from([5n]) } },
      { k: 'v' },
    );
    for (let len = 0; len < good.length; len++) readError(good.subarray(0, len)); // every truncation is caught
    const rng = new Rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const bad = Buffer.from(good);
      for (let flips = 1 + rng.int(3); flips > 0; flips--) bad[rng.int(bad.length)] = rng.int(256);
      try {
        readSafetensors(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
      }
    }
  });

  it('names the path when reading a file, and reports a missing file as InputError', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-io-'));
    try {
      const file = path.join(dir, 'broken.safetensors');
      fs.writeFileSync(file, build(ok, new Uint8Array(8)));
      expect(() => readSafetensors(file)).toThrow(`${file}: not a valid safetensors file: the data area has 8 bytes`);
      const missing = path.join(dir, 'missing.safetensors');
      expect(() => readSafetensors(missing)).toThrow(InputError);
      expect(() => readSafetensors(missing)).toThrow(`${missing}: cannot read the checkpoint: ENOENT`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('atomic write', () => {
  let dir: string;
  let file: string;
  const previous = { w: f32(1, 2, 3) };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-io-'));
    file = path.join(dir, 'model.safetensors');
    writeSafetensors(file, previous, { epoch: '1' });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const expectPreviousIntact = () => {
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ epoch: '1' });
    expect([...back.tensors.w!.data]).toEqual([1, 2, 3]);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']); // no temp file left behind
  };

  it('replaces the file on success', () => {
    writeSafetensors(file, { v: f32(4) }, { epoch: '2' });
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ epoch: '2' });
    expect(Object.keys(back.tensors)).toEqual(['v']);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('keeps the previous file when reading the tensors throws', () => {
    const hostile = {
      dtype: 'F32',
      shape: [1],
      get data(): Float32Array {
        throw new Error('device lost while downloading');
      },
    } as SafetensorsTensor;
    expect(() => writeSafetensors(file, { a: f32(9), b: hostile })).toThrow('device lost');
    expectPreviousIntact();
  });

  it('keeps the previous file when the disk fails midway through the write', () => {
    const realWrite = fs.writeSync;
    let calls = 0;
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, offset: number) => {
      if (++calls > 1) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return realWrite(fd, buf, offset, 10); // a short write: the loop must come back for the rest
    }) as typeof fs.writeSync);
    expect(() => writeSafetensors(file, { w: f32(7, 8, 9, 10) })).toThrow('ENOSPC');
    expect(calls).toBe(2);
    expectPreviousIntact();
  });

  it('fails cleanly when the folder does not exist', () => {
    expect(() => writeSafetensors(path.join(dir, 'no-such-dir', 'x.safetensors'), previous)).toThrow(/ENOENT/);
    expectPreviousIntact();
  });
});
