import onnxProto from "onnx-proto";
import { DecoderInterfaceError } from "./decoder-interface.ts";

/**
 * Edits of an ONNX decoder export that validation needs: adding a LoRA delta to a named linear
 * weight (the merged model), and exposing a linear layer's input and output as extra graph outputs
 * (to measure what each adapted module changes). Weights are found by their Hugging Face names
 * (`model.layers.0.self_attn.q_proj.weight`), stored `[out, in]` behind a Transpose (or Gemm with
 * transB), or `[in, out]` straight into MatMul.
 */
const { onnx } = onnxProto;
type ModelProto = InstanceType<typeof onnx.ModelProto>;
type TensorProto = onnxProto.onnx.ITensorProto;

export type LinearSite = {
  /** The weight's initializer name. */
  weight: string;
  layout: "out_in" | "in_out";
  /** The graph values holding the layer's input `[.., in]` and output `[.., out]`. */
  input: string;
  output: string;
};

export function decodeModel(bytes: Uint8Array): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new DecoderInterfaceError(`not an ONNX model: ${(error as Error).message}`);
  }
}

/** A one-node model (`y = Identity(x)`), to see whether an execution provider can run anything at all. */
export function identityModel(): Uint8Array {
  const info = (name: string) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } },
    });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: "", version: 17 }],
      graph: {
        name: "identity",
        node: [onnx.NodeProto.create({ opType: "Identity", input: ["x"], output: ["y"] })],
        input: [info("x")],
        output: [info("y")],
      },
    }),
  ).finish();
}

/** Where the linear layer with this weight sits in the graph. */
export function linearSite(model: ModelProto, weight: string): LinearSite {
  const nodes = model.graph?.node ?? [];
  const consumers = (name: string) => nodes.filter((n) => n.input?.includes(name));
  for (const n of consumers(weight)) {
    if (n.opType === "MatMul" && n.input![1] === weight) {
      return { weight, layout: "in_out", input: n.input![0]!, output: n.output![0]! };
    }
    if (n.opType === "Gemm" && n.input![1] === weight) {
      // onnx-proto types an INT attribute as number | Long, from a package it does not declare.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- read as a number just below
      const transB = n.attribute?.find((a) => a.name === "transB")?.i;
      return {
        weight,
        layout: Number(transB ?? 0) === 1 ? "out_in" : "in_out",
        input: n.input![0]!,
        output: n.output![0]!,
      };
    }
    if (n.opType === "Transpose") {
      const matmul = consumers(n.output![0]!).find(
        (m) => m.opType === "MatMul" && m.input![1] === n.output![0],
      );
      if (matmul) return { weight, layout: "out_in", input: matmul.input![0]!, output: matmul.output![0]! };
    }
  }
  throw new DecoderInterfaceError(
    `the export has no linear layer with the weight '${weight}' (named initializers in Hugging Face's layout are needed to apply a LoRA)`,
  );
}

function initializer(model: ModelProto, name: string): TensorProto {
  const found = model.graph?.initializer?.find((t) => t.name === name);
  if (!found) throw new DecoderInterfaceError(`the export has no initializer '${name}'`);
  if (found.dataType !== onnx.TensorProto.DataType.FLOAT) {
    throw new DecoderInterfaceError(
      `initializer '${name}' is not float32 (only float32 exports can be merged)`,
    );
  }
  return found;
}

function floatsOf(t: TensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

/**
 * A copy of the export with `delta` (`[out, in]` row-major, per weight name) added to those
 * weights, and `outputs` added as graph outputs.
 */
export function editDecoder(
  bytes: Uint8Array,
  edits: { deltas?: ReadonlyMap<string, Float32Array>; outputs?: readonly string[] },
): Uint8Array {
  const model = decodeModel(bytes);
  for (const [name, delta] of edits.deltas ?? []) {
    const site = linearSite(model, name);
    const tensor = initializer(model, name);
    const values = floatsOf(tensor);
    if (values.length !== delta.length) {
      throw new DecoderInterfaceError(`'${name}' has ${values.length} elements, the delta ${delta.length}`);
    }
    const [d0, d1] = (tensor.dims ?? []).map(Number) as [number, number];
    if (site.layout === "out_in") {
      for (let i = 0; i < values.length; i++) values[i]! += delta[i]!;
    } else {
      // Stored [in, out] = d0 × d1: element (i, o) takes delta[o][i].
      for (let i = 0; i < d0; i++) for (let o = 0; o < d1; o++) values[i * d1 + o]! += delta[o * d0 + i]!;
    }
    tensor.rawData = new Uint8Array(values.buffer);
    tensor.floatData = [];
  }
  for (const name of edits.outputs ?? []) {
    model.graph!.output!.push(
      onnx.ValueInfoProto.create({
        name,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } },
      }),
    );
  }
  return onnx.ModelProto.encode(model).finish();
}
