import onnxProto from "onnx-proto";

/**
 * Small helpers to write ONNX models in code (no weights can be downloaded here). The models they
 * make are ordinary ModelProto files that onnxruntime-node loads like any exported model.
 */
const { onnx } = onnxProto;
export const DataType = onnx.TensorProto.DataType;
export type DataType = (typeof DataType)[keyof typeof DataType];

export type Dim = number | string;

export function tensorInfo(name: string, elemType: number, dims: readonly Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

export function floatInitializer(name: string, dims: readonly number[], values: Float32Array) {
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  });
}

export function int64Initializer(name: string, values: readonly number[]) {
  const data = BigInt64Array.from(values.map(BigInt));
  return onnx.TensorProto.create({
    name,
    dims: [values.length],
    dataType: DataType.INT64,
    rawData: new Uint8Array(data.buffer),
  });
}

type Attribute = { name: string; i?: number; f?: number; ints?: number[] };

export function node(opType: string, inputs: string[], outputs: string[], attributes: Attribute[] = []) {
  return onnx.NodeProto.create({
    opType,
    input: inputs,
    output: outputs,
    name: `${opType}_${outputs[0]}`,
    attribute: attributes.map((a) =>
      onnx.AttributeProto.create({
        name: a.name,
        ...(a.i !== undefined ? { i: a.i, type: onnx.AttributeProto.AttributeType.INT } : {}),
        ...(a.f !== undefined ? { f: a.f, type: onnx.AttributeProto.AttributeType.FLOAT } : {}),
        ...(a.ints !== undefined ? { ints: a.ints, type: onnx.AttributeProto.AttributeType.INTS } : {}),
      }),
    ),
  });
}

export function encodeModel(graph: {
  name: string;
  nodes: ReturnType<typeof node>[];
  inputs: ReturnType<typeof tensorInfo>[];
  outputs: ReturnType<typeof tensorInfo>[];
  initializers: ReturnType<typeof floatInitializer>[];
  opset?: number;
}): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "memstore-testing",
    opsetImport: [{ domain: "", version: graph.opset ?? 17 }],
    graph: {
      name: graph.name,
      node: graph.nodes,
      input: graph.inputs,
      output: graph.outputs,
      initializer: graph.initializers,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** A deterministic pseudo-random generator (mulberry32), so test weights are the same every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomMatrix(rows: number, cols: number, random: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: rows * cols }, () => (random() * 2 - 1) * scale);
}
