import { createCipheriv, createHash, createHmac } from "node:crypto";

/**
 * Fingerprints for weights and KV caches: every organisation's copy differs from every other's in a
 * way only the platform (holding the key) can regenerate, and the differences survive what a leaker
 * is likely to do (convert to f16, re-save, merge a LoRA into its base).
 *
 * - A LoRA module's pair is rotated by an organisation's own r×r orthogonal matrix Q: A → QA,
 *   B → BQᵀ. BQᵀQA = BA, so the adapter computes the same function with entirely different bytes.
 * - A keyed spread-spectrum pattern (±strength·rms, one keyed sign per value) is added on top: to a
 *   pack's B matrices (it changes BA by a stated, tiny amount, so it survives merging) and to a
 *   KV snapshot's keys and values.
 * Tracing correlates a leaked tensor's difference from the organisation's unmarked copy with that
 * organisation's pattern: about 1 for the right one, about 0 (±1/√n) for any other.
 */
export function binaryFingerprintKey(secret: Buffer, orgId: string, cubeId: string): Buffer {
  return createHmac("sha256", secret).update(`binary-fingerprint\0${orgId}\0${cubeId}`).digest();
}

/** Bytes [offset, offset + length) of the keystream for `label` (AES-256-CTR: any offset, no state). */
export function keystream(key: Buffer, label: string, offset: number, length: number): Buffer {
  const iv = createHash("sha256").update(label).digest().subarray(0, 16);
  // Advance the 128-bit big-endian counter by the block index of `offset`.
  let carry = BigInt(Math.floor(offset / 16));
  for (let i = 15; i >= 0 && carry > 0n; i--) {
    const sum = BigInt(iv[i]!) + (carry & 0xffn);
    iv[i] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  const skip = offset % 16;
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  return cipher.update(Buffer.alloc(skip + length)).subarray(skip);
}

/** The keyed sign (+1 or −1) of elements [start, start + count) of a tensor. */
export function signsAt(key: Buffer, label: string, start: number, count: number): Int8Array {
  const first = Math.floor(start / 8);
  const bytes = keystream(key, label, first, Math.ceil((start + count) / 8) - first);
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const bit = start + i - first * 8;
    out[i] = (bytes[bit >> 3]! >> (bit & 7)) & 1 ? 1 : -1;
  }
  return out;
}

/** A keyed r×r orthogonal matrix (row-major), from Gaussian entries by modified Gram–Schmidt. */
export function orthogonalMatrix(key: Buffer, label: string, r: number): Float64Array {
  const raw = keystream(key, `${label}\0orthogonal`, 0, r * r * 8);
  const q = new Float64Array(r * r);
  for (let i = 0; i < r * r; i++) {
    // Box–Muller from two 32-bit uniforms in (0, 1].
    const u1 = (raw.readUInt32LE(i * 8) + 1) / 2 ** 32;
    const u2 = raw.readUInt32LE(i * 8 + 4) / 2 ** 32;
    q[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < r; k++) dot += q[i * r + k]! * q[j * r + k]!;
      for (let k = 0; k < r; k++) q[i * r + k]! -= dot * q[j * r + k]!;
    }
    let norm = 0;
    for (let k = 0; k < r; k++) norm += q[i * r + k]! ** 2;
    norm = Math.sqrt(norm);
    for (let k = 0; k < r; k++) q[i * r + k]! /= norm;
  }
  return q;
}

/** QA for A `[r, in]`. */
export function rotateA(q: Float64Array, a: Float32Array, r: number): Float32Array {
  const cols = a.length / r;
  const out = new Float32Array(a.length);
  for (let i = 0; i < r; i++) {
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      for (let k = 0; k < r; k++) sum += q[i * r + k]! * a[k * cols + c]!;
      out[i * cols + c] = sum;
    }
  }
  return out;
}

/** BQᵀ for B `[out, r]`. */
export function rotateB(q: Float64Array, b: Float32Array, r: number): Float32Array {
  const rows = b.length / r;
  const out = new Float32Array(b.length);
  for (let o = 0; o < rows; o++) {
    for (let i = 0; i < r; i++) {
      let sum = 0;
      for (let k = 0; k < r; k++) sum += b[o * r + k]! * q[i * r + k]!;
      out[o * r + i] = sum;
    }
  }
  return out;
}

/** Root mean square of a tensor's values. */
export function rmsOf(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return values.length ? Math.sqrt(sum / values.length) : 0;
}

/** Adds amplitude·sign to values[i] for elements [start, start + values.length) of a tensor. */
export function addPattern(
  values: Float32Array,
  key: Buffer,
  label: string,
  start: number,
  amplitude: number,
) {
  const signs = signsAt(key, label, start, values.length);
  for (let i = 0; i < values.length; i++) values[i] = values[i]! + amplitude * signs[i]!;
}

/**
 * Running correlation of a residual (leaked − unmarked copy) with an organisation's pattern:
 * Σ r·s / (‖r‖·√n). About 1 when the residual is that pattern, about 0 when it is not.
 */
export class PatternCorrelation {
  private dot = 0;
  private squares = 0;
  private count = 0;

  add(residual: Float32Array, key: Buffer, label: string, start: number) {
    const signs = signsAt(key, label, start, residual.length);
    for (let i = 0; i < residual.length; i++) {
      this.dot += residual[i]! * signs[i]!;
      this.squares += residual[i]! * residual[i]!;
    }
    this.count += residual.length;
  }

  get value(): number {
    return this.squares > 0 ? this.dot / Math.sqrt(this.squares * this.count) : 0;
  }

  get elements(): number {
    return this.count;
  }
}
