import fs from 'node:fs';
import path from 'node:path';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { FER_CLASSES } from '../../src/classes.js';
import { FER_SPLITS, FerDataError } from '../../src/data/dataset.js';
import { loadImageFolder } from '../../src/data/folder.js';
import { decodeImage } from '../../src/data/image.js';
import { FER_DIR, HAVE_FOLDER, tmpDir } from './helpers.js';

function png(width: number, height: number, rgba: (i: number) => [number, number, number, number]): Buffer {
  const im = new pngjs.PNG({ width, height });
  for (let i = 0; i < width * height; i++) im.data.set(rgba(i), i * 4);
  return pngjs.PNG.sync.write(im);
}

function put(root: string, rel: string, bytes: Buffer | string): string {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, bytes);
  return p;
}

/** A synthetic PNG folder: train/happy (48x48 gray), train/sad (64x40 RGB), test/happy (no Kaggle prefix). */
function pngFolder(): string {
  const root = tmpDir();
  put(
    root,
    'train/happy/a.png',
    png(48, 48, (i) => [i % 256, i % 256, i % 256, 255]),
  );
  put(
    root,
    'train/Sad/b.png',
    png(64, 40, () => [200, 100, 50, 255]),
  );
  put(
    root,
    'test/happy/c.png',
    png(48, 48, () => [9, 9, 9, 255]),
  );
  put(root, 'README.md', 'not data');
  put(root, 'train/happy/.DS_Store', 'junk');
  return root;
}

describe('loadImageFolder on synthetic PNG folders', () => {
  it('maps folders to classes and splits, converts and resizes', async () => {
    const root = pngFolder();
    const ds = await loadImageFolder(root, { cache: false });
    expect(ds.length).toBe(3);
    const byName = Object.fromEntries(ds.keys.map((k, i) => [path.relative(root, k), i]));
    const a = byName['train/happy/a.png']!;
    const b = byName['train/Sad/b.png']!;
    const c = byName['test/happy/c.png']!;
    expect([FER_CLASSES[ds.labels[a]!], FER_CLASSES[ds.labels[b]!], FER_CLASSES[ds.labels[c]!]]).toEqual(['happy', 'sad', 'happy']);
    expect([FER_SPLITS[ds.splits[a]!], FER_SPLITS[ds.splits[c]!]]).toEqual(['Training', 'Test']);
    expect(ds.pixels[a * 2304 + 300]).toBe(300 % 256);
    // (200, 100, 50) -> luma (200*19595 + 100*38470 + 50*7471 + 32768) >> 16 = 124; constant stays constant when resized
    expect(ds.pixels.subarray(b * 2304, (b + 1) * 2304).every((v) => v === 124)).toBe(true);
    expect(ds.issues).toEqual([]);
  });

  it('keys are full paths: the same filename in two class folders stays two images', async () => {
    const root = tmpDir();
    put(
      root,
      'train/angry/Training_1.png',
      png(48, 48, () => [1, 1, 1, 255]),
    );
    put(
      root,
      'train/surprise/Training_1.png',
      png(48, 48, () => [2, 2, 2, 255]),
    );
    const ds = await loadImageFolder(root, { cache: false });
    expect(ds.length).toBe(2);
    expect(new Set(ds.keys).size).toBe(2);
  });

  const bad: [string, (root: string) => string, RegExp][] = [
    [
      'unknown class folder',
      (r) =>
        put(
          r,
          'train/smug/x.png',
          png(48, 48, () => [0, 0, 0, 255]),
        ),
      /smug: unknown class folder 'smug'/,
    ],
    ['truncated image', (r) => put(r, 'train/fear/t.png', png(48, 48, () => [5, 5, 5, 255]).subarray(0, 60)), /t\.png: cannot decode PNG/],
    ['unreadable image (not an image)', (r) => put(r, 'test/fear/u.jpg', 'hello'), /u\.jpg: not a JPEG or PNG/],
    ['non-image file', (r) => put(r, 'test/fear/notes.txt', 'x'), /notes\.txt: not a \.jpg\/\.jpeg\/\.png file/],
    [
      'unknown split folder',
      (r) =>
        put(
          r,
          'extra/fear/v.png',
          png(48, 48, () => [0, 0, 0, 255]),
        ),
      /extra: unknown split folder/,
    ],
  ];
  for (const [name, make, message] of bad) {
    it(`${name}: throws naming the path, or skips and reports it`, async () => {
      const root = pngFolder();
      const badPath = make(root);
      const err = await loadImageFolder(root, { cache: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FerDataError);
      expect((err as Error).message).toMatch(message);
      const ds = await loadImageFolder(root, { onError: 'skip', cache: false });
      expect(ds.length).toBe(3);
      expect(ds.issues).toHaveLength(1);
      expect(badPath.startsWith(ds.issues[0]!.location)).toBe(true);
    });
  }

  it('a folder without train/ or test/ is an error', async () => {
    await expect(loadImageFolder(tmpDir())).rejects.toThrow(/no train\/ or test\/ folder/);
    await expect(loadImageFolder(path.join(tmpDir(), 'missing'))).rejects.toThrow(/missing: cannot read folder/);
  });

  it('cache: hit on the second load, invalidated by a changed file, never written into the data folder', async () => {
    const root = pngFolder();
    const cacheDir = path.join(tmpDir(), 'cache');
    const first = await loadImageFolder(root, { cache: cacheDir });
    expect(first.info?.cache).toBe('written');
    expect(path.dirname(first.info!.cachePath!)).toBe(cacheDir);
    const second = await loadImageFolder(root, { cache: cacheDir });
    expect(second.info?.cache).toBe('hit');
    expect(Buffer.compare(second.pixels, first.pixels)).toBe(0);
    expect(second.keys).toEqual(first.keys);
    // Same size, new content: must not be served from the cache.
    const f = path.join(root, 'test/happy/c.png');
    fs.writeFileSync(
      f,
      png(48, 48, () => [77, 77, 77, 255]),
    );
    const third = await loadImageFolder(root, { cache: cacheDir });
    expect(third.info?.cache).toBe('written');
    expect(third.pixels[third.keys.indexOf(f) * 2304]).toBe(77);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('other folder layouts and symbolic links', () => {
  const gray = (v: number) => png(48, 48, () => [v, v, v, 255]);

  it("torchvision's ImageFolder <dir>/<class>/*: classes from folders, every image in the split asked for (default Training)", async () => {
    const root = tmpDir();
    put(root, 'happy/a.png', gray(10));
    put(root, 'Neutral/b.png', gray(20));
    put(root, 'LICENSE', 'text beside the class folders is not data');
    const ds = await loadImageFolder(root, { cache: false });
    expect(ds.keys.map((k) => path.relative(root, k))).toEqual(['Neutral/b.png', 'happy/a.png']);
    expect(Array.from(ds.labels, (l) => FER_CLASSES[l])).toEqual(['neutral', 'happy']);
    expect(Array.from(ds.splits, (x) => FER_SPLITS[x])).toEqual(['Training', 'Training']);
    expect(ds.labelled).toBeUndefined();
    const test = await loadImageFolder(root, { split: 'PrivateTest' });
    expect(Array.from(test.splits, (x) => FER_SPLITS[x])).toEqual(['PrivateTest', 'PrivateTest']);
    // the split is part of the cache key: the same folder as Training is not served the PrivateTest copy
    const again = await loadImageFolder(root, { split: 'Training' });
    expect(Array.from(again.splits, (x) => FER_SPLITS[x])).toEqual(['Training', 'Training']);
    put(root, 'loose.png', gray(1));
    await expect(loadImageFolder(root, { cache: false })).rejects.toThrow(/loose\.png: file outside a class folder/);
  });

  it('val/ beside train/ is the validation split (PublicTest)', async () => {
    const root = tmpDir();
    put(root, 'train/sad/a.png', gray(1));
    put(root, 'val/sad/b.png', gray(2));
    const ds = await loadImageFolder(root, { cache: false });
    expect(Array.from(ds.splits, (x) => FER_SPLITS[x])).toEqual(['Training', 'PublicTest']);
  });

  it('an unlabelled folder: images directly in <dir>, labelled: false; a subfolder or a text file there is a problem', async () => {
    const root = tmpDir();
    put(root, 'x.png', gray(3));
    put(root, 'y.PNG', gray(4));
    const ds = await loadImageFolder(root, { cache: false });
    expect(ds.length).toBe(2);
    expect(ds.labelled).toBe(false);
    expect(ds.pixels[2304]).toBe(4);
    const cached = (await loadImageFolder(root), await loadImageFolder(root));
    expect([cached.info?.cache, cached.labelled]).toEqual(['hit', false]);
    put(root, 'thumbs/z.png', gray(5));
    await expect(loadImageFolder(root, { cache: false })).rejects.toThrow(/thumbs: folder inside an unlabelled image folder/);
    const skipped = await loadImageFolder(root, { cache: false, onError: 'skip', onSkip: () => {} });
    expect(skipped.length).toBe(2);
  });

  it('follows symbolic links to files and folders; a link loop is a problem naming the path, not a hang', async () => {
    const store = tmpDir();
    put(store, 'faces/p.png', gray(7));
    put(store, 'one.png', gray(8));
    const root = tmpDir();
    fs.symlinkSync(path.join(store, 'faces'), path.join(root, 'happy')); // a linked class folder
    fs.mkdirSync(path.join(root, 'sad'));
    fs.symlinkSync(path.join(store, 'one.png'), path.join(root, 'sad', 'one.png')); // a linked file
    const ds = await loadImageFolder(root, { cache: false });
    expect(ds.keys).toEqual([path.join(root, 'happy', 'p.png'), path.join(root, 'sad', 'one.png')]);
    expect(Array.from(ds.labels, (l) => FER_CLASSES[l])).toEqual(['happy', 'sad']);
    expect([ds.pixels[0], ds.pixels[2304]]).toEqual([7, 8]);

    fs.symlinkSync(path.join(root, 'nowhere.png'), path.join(root, 'sad', 'gone.png'));
    await expect(loadImageFolder(root, { cache: false })).rejects.toThrow(/gone\.png: cannot read file: a symbolic link to a missing file/);
    fs.rmSync(path.join(root, 'sad', 'gone.png'));

    // train/fear -> train: the folder loops back to its parent
    const kaggle = tmpDir();
    put(kaggle, 'train/angry/a.png', gray(9));
    fs.symlinkSync(path.join(kaggle, 'train'), path.join(kaggle, 'train', 'fear'));
    await expect(loadImageFolder(kaggle, { cache: false })).rejects.toThrow(
      /train\/fear: folder already read as .*train \(a symbolic link loop/,
    );
    fs.symlinkSync(kaggle, path.join(kaggle, 'train', 'angry', 'up')); // a link to the root inside a class folder
    const skipped = await loadImageFolder(kaggle, { cache: false, onError: 'skip', onSkip: () => {} });
    expect(skipped.length).toBe(1);
    expect(skipped.issues.map((i) => path.relative(kaggle, i.location))).toEqual(['train/angry/up', 'train/fear']);
  });
});

describe.skipIf(!HAVE_FOLDER)('real FER2013 folder subset (Kaggle layout)', () => {
  it('reads classes from folders, PublicTest/PrivateTest from filename prefixes, pixels as decodeImage', async () => {
    const root = tmpDir();
    const copied: { rel: string; cls: string; split: string }[] = [];
    for (const split of ['train', 'test']) {
      for (const cls of FER_CLASSES) {
        const names = fs.readdirSync(path.join(FER_DIR, split, cls)).sort();
        const pick =
          split === 'train'
            ? names.slice(0, 5)
            : [
                ...names.filter((n) => n.startsWith('PublicTest_')).slice(0, 3),
                ...names.filter((n) => n.startsWith('PrivateTest_')).slice(0, 3),
              ];
        for (const n of pick) {
          const rel = path.join(split, cls, n);
          fs.mkdirSync(path.join(root, split, cls), { recursive: true });
          fs.copyFileSync(path.join(FER_DIR, rel), path.join(root, rel));
          copied.push({ rel, cls, split: split === 'train' ? 'Training' : n.split('_')[0]! });
        }
      }
    }
    const ds = await loadImageFolder(root, { cache: false });
    expect(ds.length).toBe(copied.length);
    for (const c of copied) {
      const i = ds.keys.indexOf(path.join(root, c.rel));
      expect(i).toBeGreaterThanOrEqual(0);
      expect(FER_CLASSES[ds.labels[i]!]).toBe(c.cls);
      expect(FER_SPLITS[ds.splits[i]!]).toBe(c.split);
      expect(
        Buffer.compare(ds.pixels.subarray(i * 2304, (i + 1) * 2304), decodeImage(fs.readFileSync(path.join(FER_DIR, c.rel)), c.rel)),
      ).toBe(0);
    }
  });
});
