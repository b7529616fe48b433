import type * as ort from "onnxruntime-node";

/** What validation needs of a decoder export, checked before it runs anything: names and cache dimensions. */
export type DecoderShape = { layers: number; kvHeads: number; headDim: number; vocabSize: number };

/** An export that does not have the interface validation needs; the message names what is missing or wrong. */
export class DecoderInterfaceError extends Error {
  override readonly name = "DecoderInterfaceError";
}

/** The names and cache dimensions an export must have for `shape`; throws naming the first difference. */
export function checkDecoderInterface(
  session: Pick<ort.InferenceSession, "inputNames" | "outputNames" | "inputMetadata">,
  shape: DecoderShape,
): void {
  const inputs = ["input_ids", "attention_mask", "position_ids"];
  const outputs = ["logits"];
  for (let l = 0; l < shape.layers; l++) {
    inputs.push(`past_key_values.${l}.key`, `past_key_values.${l}.value`);
    outputs.push(`present.${l}.key`, `present.${l}.value`);
  }
  const missingIn = inputs.filter((n) => !session.inputNames.includes(n));
  const missingOut = outputs.filter((n) => !session.outputNames.includes(n));
  if (missingIn.length || missingOut.length) {
    throw new DecoderInterfaceError(
      `the export lacks ${[...missingIn.map((n) => `input '${n}'`), ...missingOut.map((n) => `output '${n}'`)].slice(0, 6).join(", ")} (Optimum's decoder-with-past layout is expected)`,
    );
  }
  const extraLayer = `past_key_values.${shape.layers}.key`;
  if (session.inputNames.includes(extraLayer)) {
    throw new DecoderInterfaceError(
      `the export has an input '${extraLayer}': it has more layers than the registered ${shape.layers}`,
    );
  }
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor || !meta.name.startsWith("past_key_values.")) continue;
    const [, heads, , dim] = meta.shape;
    if (typeof heads === "number" && heads !== shape.kvHeads) {
      throw new DecoderInterfaceError(
        `input '${meta.name}' has ${heads} KV heads, the registered config has ${shape.kvHeads}`,
      );
    }
    if (typeof dim === "number" && dim !== shape.headDim) {
      throw new DecoderInterfaceError(
        `input '${meta.name}' has head_dim ${dim}, the registered config has ${shape.headDim}`,
      );
    }
  }
}
