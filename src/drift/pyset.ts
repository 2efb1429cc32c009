/**
 * CPython's iteration order of `set(a) | set(b)` for numbers, which Evidently's TVD sums its terms
 * in (`list(set(reference.unique()) | set(current.unique()))`, stattests/utils.py). The order
 * follows the values' hashes, the table size and the insertion order; float64 sums in another
 * order round differently, which decides near-ties of the permutation test.
 *
 * Re-stated from CPython 3.11 `Objects/setobject.c` (set_add_entry, set_insert_clean,
 * set_table_resize, set_merge, set_or) and `Python/pyhash.c` (_Py_HashDouble; ints hash to
 * themselves modulo 2^61 - 1). Checked against CPython in test/drift/tvd.test.ts.
 */

const MODULUS = (1n << 61n) - 1n;
const U64 = 1n << 64n;
const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5n;

/** frexp: v = m * 2^e with 0.5 <= |m| < 1 (v finite, non-zero). */
function frexp(v: number): [number, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const biased = (view.getUint16(0) >> 4) & 0x7ff;
  if (biased === 0) {
    const [m, e] = frexp(v * 2 ** 64); // subnormal
    return [m, e - 64];
  }
  view.setUint16(0, (view.getUint16(0) & 0x800f) | (1022 << 4));
  return [view.getFloat64(0), biased - 1022];
}

/** Python's hash() of a finite number, as an unsigned 64-bit value (Py_uhash_t). */
export function pyHash(v: number): bigint {
  let signed: bigint;
  if (Number.isInteger(v)) {
    const x = BigInt(Math.abs(v)) % MODULUS;
    signed = v < 0 ? -x : x;
  } else {
    let [m, e] = frexp(Math.abs(v));
    let x = 0n;
    while (m) {
      x = ((x << 28n) & MODULUS) | (x >> 33n);
      m *= 268435456; // 2^28
      e -= 28;
      const y = Math.floor(m);
      m -= y;
      x += BigInt(y);
      if (x >= MODULUS) x -= MODULUS;
    }
    e = e >= 0 ? e % 61 : 61 - 1 - ((-1 - e) % 61);
    x = ((x << BigInt(e)) & MODULUS) | (x >> BigInt(61 - e));
    signed = v < 0 ? -x : x;
  }
  if (signed === -1n) signed = -2n;
  return BigInt.asUintN(64, signed < 0n ? signed + U64 : signed);
}

/** A CPython set of numbers: only what ordering needs (no deletions, so no dummy entries). */
class PySet {
  mask = 7;
  keys: Array<number | undefined> = new Array(8);
  hashes: bigint[] = new Array(8);
  used = 0;

  /** Free slot for `hash` by set_insert_clean's probe sequence (the table has no equal key). */
  private freeSlot(keys: Array<number | undefined>, mask: number, hash: bigint): number {
    let perturb = hash;
    let i = Number(hash & BigInt(mask));
    for (;;) {
      if (keys[i] === undefined) return i;
      if (i + LINEAR_PROBES <= mask) for (let j = 1; j <= LINEAR_PROBES; j++) if (keys[i + j] === undefined) return i + j;
      perturb >>= PERTURB_SHIFT;
      i = (i * 5 + 1 + Number(perturb & BigInt(mask))) & mask;
    }
  }

  /** set_table_resize: the smallest power of two above minUsed (at least 8), entries re-inserted in table order. */
  resize(minUsed: number): void {
    let size = 8;
    while (size <= minUsed) size *= 2;
    const [oldKeys, oldHashes] = [this.keys, this.hashes];
    this.keys = new Array(size);
    this.hashes = new Array(size);
    this.mask = size - 1;
    oldKeys.forEach((k, i) => {
      if (k !== undefined) this.put(this.freeSlot(this.keys, this.mask, oldHashes[i]!), k, oldHashes[i]!);
    });
  }

  private put(slot: number, key: number, hash: bigint): void {
    this.keys[slot] = key;
    this.hashes[slot] = hash;
  }

  /** set_add_entry (fill equals used: there are no deletions). */
  add(key: number, hash = pyHash(key)): void {
    const mask = this.mask;
    let perturb = hash;
    let i = Number(hash & BigInt(mask));
    for (;;) {
      const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
      for (let j = 0; j <= probes; j++) {
        const k = this.keys[i + j];
        if (k === undefined) {
          this.put(i + j, key, hash);
          this.used++;
          if (this.used * 5 >= mask * 3) this.resize(this.used > 50000 ? this.used * 2 : this.used * 4);
          return;
        }
        if (k === key) return; // numbers: equal values have equal hashes
      }
      perturb >>= PERTURB_SHIFT;
      i = (i * 5 + 1 + Number(perturb & BigInt(mask))) & mask;
    }
  }

  /** set_merge(this, other) for `set(...) | other`. */
  merge(other: PySet): void {
    if (other.used === 0) return;
    if ((this.used + other.used) * 5 >= this.mask * 3) this.resize((this.used + other.used) * 2);
    if (this.used === 0 && this.mask === other.mask) {
      this.keys = other.keys.slice();
      this.hashes = other.hashes.slice();
      this.used = other.used;
      return;
    }
    const empty = this.used === 0;
    other.keys.forEach((k, i) => {
      if (k === undefined) return;
      if (empty) {
        this.put(this.freeSlot(this.keys, this.mask, other.hashes[i]!), k, other.hashes[i]!);
        this.used++;
      } else this.add(k, other.hashes[i]!);
    });
  }

  values(): number[] {
    return this.keys.filter((k): k is number => k !== undefined);
  }
}

function setOf(values: Iterable<number>): PySet {
  const s = new PySet();
  for (const v of values) s.add(v);
  return s;
}

/**
 * `list(set(a) | set(b))` in CPython for numbers given in insertion order (pandas' unique():
 * order of first appearance). Finite numbers only.
 */
export function pythonSetUnion(a: Iterable<number>, b: Iterable<number>): number[] {
  const result = new PySet();
  result.merge(setOf(a)); // set_or: a copy of set(a) ...
  result.merge(setOf(b)); // ... updated with set(b)
  return result.values();
}
