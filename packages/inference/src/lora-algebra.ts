import type { LoraModule } from "./validation.ts";

/**
 * Operations on LoRA modules that make new adapters from existing ones, without ever forming a
 * module's full `[out, in]` update:
 * - `concatenateModules`: the exact merge of several adapters of one module (the MemOS *Merged*
 *   state). Σ wᵢ·sᵢ·Bᵢ·Aᵢ = [w₁s₁B₁ | w₂s₂B₂ | …] · [A₁; A₂; …], a rank Σ rᵢ adapter with scaling 1.
 * - `reduceRank`: the best rank-k approximation of s·B·A (Eckart–Young) by truncated SVD, computed
 *   through thin QRs of B and Aᵀ and the SVD of the small r×r core, with the relative error it costs.
 */

/** One adapter's module and the weight it has in a merge. */
export type WeightedModule = { module: LoraModule; weight: number };

/** The exact sum of the modules' updates (same path and shape) as one module of rank Σ rᵢ, scaling 1. */
export function concatenateModules(parts: readonly WeightedModule[]): LoraModule {
  const first = parts[0]!.module;
  for (const { module: m } of parts) {
    if (m.inFeatures !== first.inFeatures || m.outFeatures !== first.outFeatures) {
      throw new Error(
        `module ${first.module}: shapes differ ([${m.outFeatures}, ${m.inFeatures}] vs [${first.outFeatures}, ${first.inFeatures}])`,
      );
    }
  }
  const rank = parts.reduce((sum, p) => sum + p.module.rank, 0);
  const { inFeatures, outFeatures } = first;
  const a = new Float32Array(rank * inFeatures);
  const b = new Float32Array(outFeatures * rank);
  let offset = 0;
  for (const { module: m, weight } of parts) {
    a.set(m.a, offset * inFeatures);
    const factor = weight * m.scaling;
    for (let o = 0; o < outFeatures; o++) {
      for (let r = 0; r < m.rank; r++) b[o * rank + offset + r] = factor * m.b[o * m.rank + r]!;
    }
    offset += m.rank;
  }
  return { module: first.module, rank, inFeatures, outFeatures, scaling: 1, a, b };
}

/**
 * Thin QR of a `[rows, cols]` row-major matrix by modified Gram–Schmidt, twice (so Q stays orthogonal
 * in floating point). Returns Q `[rows, cols]` and R `[cols, cols]` (upper triangular); a column that
 * depends on the earlier ones gets a zero column in Q and a zero diagonal in R.
 */
export function thinQr(m: Float64Array, rows: number, cols: number) {
  const q = Float64Array.from(m);
  const r = new Float64Array(cols * cols);
  const norms = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) norms[j]! += m[i * cols + j]! ** 2;
  }
  for (let j = 0; j < cols; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += q[i * cols + k]! * q[i * cols + j]!;
        r[k * cols + j]! += dot;
        for (let i = 0; i < rows; i++) q[i * cols + j]! -= dot * q[i * cols + k]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += q[i * cols + j]! ** 2;
    norm = Math.sqrt(norm);
    // Nothing left of the column but rounding: it adds no direction.
    const dependent = norm <= 1e-12 * Math.sqrt(norms[j]!) || norm === 0;
    r[j * cols + j] = dependent ? 0 : norm;
    for (let i = 0; i < rows; i++) q[i * cols + j] = dependent ? 0 : q[i * cols + j]! / norm;
  }
  return { q, r };
}

/**
 * SVD of a square n×n matrix by one-sided Jacobi rotations: C = U·diag(σ)·Vᵀ with σ descending.
 * U and V are row-major n×n.
 */
export function jacobiSvd(c: Float64Array, n: number) {
  const w = Float64Array.from(c);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < n; i++) {
          const wp = w[i * n + p]!;
          const wq = w[i * n + q]!;
          alpha += wp * wp;
          beta += wq * wq;
          gamma += wp * wq;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cos = 1 / Math.sqrt(1 + t * t);
        const sin = cos * t;
        for (const m of [w, v]) {
          for (let i = 0; i < n; i++) {
            const mp = m[i * n + p]!;
            const mq = m[i * n + q]!;
            m[i * n + p] = cos * mp - sin * mq;
            m[i * n + q] = sin * mp + cos * mq;
          }
        }
      }
    }
    if (!rotated) break;
  }
  const sigma = Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += w[i * n + j]! ** 2;
    return Math.sqrt(s);
  });
  const order = sigma.map((_, j) => j).sort((x, y) => sigma[y]! - sigma[x]!);
  const u = new Float64Array(n * n);
  const vSorted = new Float64Array(n * n);
  order.forEach((from, to) => {
    const s = sigma[from]!;
    for (let i = 0; i < n; i++) {
      u[i * n + to] = s > 0 ? w[i * n + from]! / s : 0;
      vSorted[i * n + to] = v[i * n + from]!;
    }
  });
  return { u, sigma: order.map((j) => sigma[j]!), v: vSorted };
}

export type RankReduction = {
  module: LoraModule;
  /** Singular values of s·B·A, descending (all r of them). */
  singular_values: number[];
  /** ‖s·B·A − B'·A'‖_F / ‖s·B·A‖_F = √(Σ_{j>k} σⱼ²) / √(Σ σⱼ²). */
  relative_error: number;
};

/**
 * The best rank-`k` approximation of the module's update, as a module with scaling 1 whose A and B
 * share √σ each. A module of rank ≤ k is returned as it is (error 0).
 */
export function reduceRank(m: LoraModule, k: number): RankReduction {
  const { rank: r, inFeatures: n, outFeatures: out } = m;
  // B = Q_B·R_B and Aᵀ = Q_A·R_A, so s·B·A = Q_B·(s·R_B·R_Aᵀ)·Q_Aᵀ, and the core is r×r.
  const qrB = thinQr(Float64Array.from(m.b), out, r);
  const aT = new Float64Array(n * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < n; j++) aT[j * r + i] = m.a[i * n + j]!;
  const qrA = thinQr(aT, n, r);
  const core = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let sum = 0;
      for (let t = 0; t < r; t++) sum += qrB.r[i * r + t]! * qrA.r[j * r + t]!;
      core[i * r + j] = m.scaling * sum;
    }
  }
  const { u, sigma, v } = jacobiSvd(core, r);
  const total = sigma.reduce((s, x) => s + x * x, 0);
  const dropped = sigma.slice(Math.min(k, r)).reduce((s, x) => s + x * x, 0);
  const relative_error = total > 0 ? Math.sqrt(dropped / total) : 0;
  if (r <= k) return { module: m, singular_values: sigma, relative_error: 0 };
  const b = new Float32Array(out * k);
  const a = new Float32Array(k * n);
  for (let j = 0; j < k; j++) {
    const root = Math.sqrt(sigma[j]!);
    // B'[:, j] = Q_B·U[:, j]·√σⱼ;  A'[j, :] = √σⱼ·(Q_A·V[:, j])ᵀ.
    for (let o = 0; o < out; o++) {
      let sum = 0;
      for (let t = 0; t < r; t++) sum += qrB.q[o * r + t]! * u[t * r + j]!;
      b[o * k + j] = sum * root;
    }
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let t = 0; t < r; t++) sum += qrA.q[i * r + t]! * v[t * r + j]!;
      a[j * n + i] = sum * root;
    }
  }
  return {
    module: { ...m, rank: k, scaling: 1, a, b },
    singular_values: sigma,
    relative_error,
  };
}
