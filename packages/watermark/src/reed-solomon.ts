/**
 * Reed–Solomon over GF(16) (primitive polynomial x⁴ + x + 1), shortened to 12 symbols: 6 data
 * nibbles (24 bits) and 6 parity nibbles, so any 3 wrong or missing symbols are corrected.
 * Codewords are little-endian coefficient arrays: index i holds the coefficient of xⁱ; parity sits
 * at 0..5 and data at 6..11. Roots of the generator are α¹..α⁶.
 */
export const RS_DATA = 6;
export const RS_PARITY = 6;
export const RS_LENGTH = RS_DATA + RS_PARITY;
const T = RS_PARITY / 2;

const EXP = new Uint8Array(30);
const LOG = new Uint8Array(16);
for (let i = 0, x = 1; i < 15; i++) {
  EXP[i] = x;
  EXP[i + 15] = x;
  LOG[x] = i;
  x <<= 1;
  if (x & 0x10) x ^= 0x13;
}

const mul = (a: number, b: number) => (a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!);
const div = (a: number, b: number) => (a === 0 ? 0 : EXP[(LOG[a]! + 15 - LOG[b]!) % 15]!);
const pow = (i: number) => EXP[((i % 15) + 15) % 15]!;

/** p(x) at x, coefficients little-endian. */
function evaluate(p: ArrayLike<number>, x: number): number {
  let y = 0;
  for (let i = p.length - 1; i >= 0; i--) y = mul(y, x) ^ p[i]!;
  return y;
}

// g(x) = (x − α¹)…(x − α⁶), little-endian.
const GENERATOR = (() => {
  let g = [1];
  for (let j = 1; j <= RS_PARITY; j++) {
    const next = new Array<number>(g.length + 1).fill(0);
    for (let i = 0; i < g.length; i++) {
      next[i + 1]! ^= g[i]!;
      next[i]! ^= mul(g[i]!, pow(j));
    }
    g = next;
  }
  return g;
})();

/** The 12-nibble codeword of 6 data nibbles. */
export function rsEncode(data: readonly number[]): number[] {
  if (data.length !== RS_DATA || data.some((d) => d < 0 || d > 15 || !Number.isInteger(d))) {
    throw new RangeError(`rsEncode takes ${RS_DATA} nibbles`);
  }
  // Remainder of data·x⁶ divided by g (long division from the top coefficient down).
  const work = [...new Array<number>(RS_PARITY).fill(0), ...data];
  for (let i = RS_LENGTH - 1; i >= RS_PARITY; i--) {
    const coef = work[i]!;
    if (coef === 0) continue;
    for (let j = 0; j <= RS_PARITY; j++) work[i - RS_PARITY + j]! ^= mul(GENERATOR[j]!, coef);
  }
  return [...work.slice(0, RS_PARITY), ...data];
}

export type RsDecoded = { data: number[]; corrected: number };

/**
 * The data of a received word with up to 3 symbol errors corrected, or null when it holds more
 * errors than the code can fix (it is then most likely not a codeword at all).
 */
export function rsDecode(received: readonly number[]): RsDecoded | null {
  if (received.length !== RS_LENGTH) return null;
  const r = [...received];
  const syndromes = Array.from({ length: RS_PARITY }, (_, j) => evaluate(r, pow(j + 1)));
  if (syndromes.every((s) => s === 0)) return { data: r.slice(RS_PARITY), corrected: 0 };

  // Berlekamp–Massey: the shortest error locator Λ(x) generating the syndromes.
  let lambda = [1];
  let previous = [1];
  let length = 0;
  let shift = 1;
  let lastDiscrepancy = 1;
  for (let n = 0; n < RS_PARITY; n++) {
    let d = syndromes[n]!;
    for (let i = 1; i <= length; i++) d ^= mul(lambda[i] ?? 0, syndromes[n - i]!);
    if (d === 0) {
      shift++;
      continue;
    }
    const scale = div(d, lastDiscrepancy);
    const next = [...lambda];
    for (let i = 0; i < previous.length; i++) {
      next[i + shift] = (next[i + shift] ?? 0) ^ mul(scale, previous[i]!);
    }
    if (2 * length <= n) {
      previous = lambda;
      length = n + 1 - length;
      lastDiscrepancy = d;
      shift = 1;
    } else {
      shift++;
    }
    lambda = next;
  }
  while (lambda.length > 1 && lambda[lambda.length - 1] === 0) lambda.pop();
  const errors = lambda.length - 1;
  if (errors === 0 || errors > T) return null;

  // Chien search over the 12 positions: position i is wrong when Λ(α⁻ⁱ) = 0.
  const positions: number[] = [];
  for (let i = 0; i < RS_LENGTH; i++) if (evaluate(lambda, pow(-i)) === 0) positions.push(i);
  if (positions.length !== errors) return null;

  // Forney: Ω(x) = S(x)Λ(x) mod x⁶; the error value at Xᵢ is Ω(Xᵢ⁻¹) / Λ'(Xᵢ⁻¹) (first root α¹).
  const omega = new Array<number>(RS_PARITY).fill(0);
  for (let i = 0; i < RS_PARITY; i++) {
    for (let j = 0; j <= i && j < lambda.length; j++) omega[i]! ^= mul(syndromes[i - j]!, lambda[j]!);
  }
  const derivative = lambda.map((c, i) => (i % 2 === 1 ? c : 0)).slice(1);
  for (const i of positions) {
    const inverse = pow(-i);
    const denominator = evaluate(derivative, inverse);
    if (denominator === 0) return null;
    r[i]! ^= div(evaluate(omega, inverse), denominator);
  }
  if (Array.from({ length: RS_PARITY }, (_, j) => evaluate(r, pow(j + 1))).some((s) => s !== 0)) return null;
  return { data: r.slice(RS_PARITY), corrected: errors };
}
