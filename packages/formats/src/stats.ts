import { type ByteSource } from "./byte-reader.ts";
import { convertFloats, type FloatDtype, wholeElements } from "./dtype.ts";

/**
 * Numeric sanity of a float tensor, read as a stream in constant memory: how many values are NaN or
 * infinite, and the statistics of the finite ones that show a broken or tampered tensor (a norm far
 * from its siblings', values far outside the tensor's own spread).
 */
export type TensorStats = {
  elements: number;
  nan: number;
  inf: number;
  mean: number;
  /** Root mean square: the Frobenius norm over √elements, comparable across shapes. */
  rms: number;
  max_abs: number;
  /** Values beyond OUTLIER_SIGMAS standard deviations of the mean (a second pass would be exact; this is the one-pass bound). */
  outliers: number;
};

export const OUTLIER_SIGMAS = 20;

export async function tensorStats(chunks: ByteSource, dtype: FloatDtype): Promise<TensorStats> {
  let elements = 0;
  let nan = 0;
  let inf = 0;
  let finite = 0;
  let sum = 0;
  let squares = 0;
  let maxAbs = 0;
  // The running mean and variance (Welford) decide what an outlier is while the values stream by.
  let runMean = 0;
  let runM2 = 0;
  let outliers = 0;
  const blocks = dtype === "F32" ? wholeElements(chunks, 4) : convertFloats(chunks, dtype, "F32");
  for await (const block of blocks) {
    const values = new Float32Array(block.buffer, block.byteOffset, block.length / 4);
    elements += values.length;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v !== v) {
        nan++;
        continue;
      }
      if (v === Infinity || v === -Infinity) {
        inf++;
        continue;
      }
      finite++;
      sum += v;
      squares += v * v;
      const abs = v < 0 ? -v : v;
      if (abs > maxAbs) maxAbs = abs;
      const delta = v - runMean;
      if (finite > 1000 && delta * delta > OUTLIER_SIGMAS * OUTLIER_SIGMAS * (runM2 / finite)) outliers++;
      runMean += delta / finite;
      runM2 += delta * (v - runMean);
    }
  }
  return {
    elements,
    nan,
    inf,
    mean: finite ? sum / finite : 0,
    rms: finite ? Math.sqrt(squares / finite) : 0,
    max_abs: maxAbs,
    outliers,
  };
}
