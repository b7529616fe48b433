import { describe, expect, it } from "vitest";
import { architectureOf } from "./architecture.ts";
import {
  checkLoraTensors,
  type LoraConfig,
  loraKey,
  parseLoraConfig,
  rankAndScaling,
  unpackLoraPack,
  writeLoraPack,
} from "./lora.ts";
import { openSafetensors } from "./safetensors.ts";
import { type TensorSource } from "./safetensors-writer.ts";
import { readTar, writeTar } from "./tar.ts";

const ARCH = architectureOf({
  num_hidden_layers: 2,
  hidden_size: 64,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 128,
  vocab_size: 300,
});

const CONFIG: LoraConfig = parseLoraConfig(
  Buffer.from(
    JSON.stringify({
      peft_type: "LORA",
      r: 4,
      lora_alpha: 8,
      target_modules: ["q_proj", "v_proj"],
      base_model_name_or_path: "memstore/tiny-llama",
      rank_pattern: { "layers.1.self_attn.v_proj": 2 },
      alpha_pattern: {},
      task_type: "CAUSAL_LM",
    }),
  ),
);

const zeros = (name: string, shape: number[]): TensorSource => ({
  name,
  dtype: "F32",
  shape,
  data: new Uint8Array(shape[0]! * shape[1]! * 4),
});

/** A complete adapter for CONFIG on ARCH (q_proj [64←64], v_proj [32←64]; layer 1 v_proj at rank 2). */
function adapter(): TensorSource[] {
  const out: TensorSource[] = [];
  for (const layer of [0, 1]) {
    for (const [module, features] of [
      ["q_proj", 64],
      ["v_proj", 32],
    ] as const) {
      const path = `model.layers.${layer}.self_attn.${module}`;
      const r = layer === 1 && module === "v_proj" ? 2 : 4;
      out.push(zeros(loraKey(path, "A"), [r, 64]), zeros(loraKey(path, "B"), [features, r]));
    }
  }
  return out;
}

const infos = (tensors: TensorSource[]) =>
  tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, begin: 0, end: 0 }));

const failure = (fn: () => unknown) => {
  try {
    fn();
    return "ok";
  } catch (error) {
    const e = error as { code: string; message: string };
    return `${e.code}: ${e.message}`;
  }
};

async function bytesOf(stream: AsyncIterable<Uint8Array>) {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe("PEFT LoRA packs", () => {
  it("checks keys, pairs and shapes, with per-module rank and alpha/r or alpha/√r scaling", () => {
    const modules = checkLoraTensors(CONFIG, infos(adapter()), ARCH);
    expect(modules.map((m) => [m.path, m.rank, m.scaling, m.in, m.out])).toEqual([
      ["model.layers.0.self_attn.q_proj", 4, 2, 64, 64],
      ["model.layers.0.self_attn.v_proj", 4, 2, 64, 32],
      ["model.layers.1.self_attn.q_proj", 4, 2, 64, 64],
      ["model.layers.1.self_attn.v_proj", 2, 4, 64, 32],
    ]);
    expect(rankAndScaling({ ...CONFIG, use_rslora: true }, "model.layers.0.self_attn.q_proj").scaling).toBe(
      4,
    );
  });

  it("names what is wrong: config fields, stray keys, half pairs, ranks, and a base model it does not fit", () => {
    const config = (patch: Record<string, unknown>) =>
      failure(() => parseLoraConfig(Buffer.from(JSON.stringify({ ...CONFIG, ...patch }))));
    expect(config({ peft_type: "IA3" })).toBe(
      'lora_config_invalid: adapter_config.json: peft_type: peft_type must be "LORA"',
    );
    expect(config({ r: 0 })).toMatch(/^lora_config_invalid: adapter_config.json: r: /);
    expect(config({ target_modules: [] })).toMatch(
      /^lora_config_invalid: adapter_config.json: target_modules: /,
    );
    expect(config({ use_dora: true })).toMatch(/DoRA adapters are not supported/);
    expect(failure(() => parseLoraConfig(Buffer.from('{"r": 4, "r": 8}')))).toBe(
      "lora_config_invalid: adapter_config.json has a duplicate key 'r'",
    );

    const tensors = adapter();
    const check = (list: TensorSource[], arch = ARCH) =>
      failure(() => checkLoraTensors(CONFIG, infos(list), arch));
    expect(check([...tensors, zeros("base_model.model.lm_head.weight", [300, 64])])).toMatch(
      /^lora_key_invalid: tensor 'base_model.model.lm_head.weight' is not a LoRA weight/,
    );
    expect(check(tensors.slice(1))).toBe(
      "lora_pair_incomplete: module 'model.layers.0.self_attn.q_proj' has lora_B but no lora_A",
    );
    const kProj = "model.layers.0.self_attn.k_proj";
    expect(
      check([...tensors, zeros(loraKey(kProj, "A"), [4, 64]), zeros(loraKey(kProj, "B"), [32, 4])]),
    ).toBe(`lora_key_invalid: module '${kProj}' is not among target_modules ["q_proj","v_proj"]`);
    const wrongRank = tensors.map((t, i) => (i === 0 ? zeros(t.name, [8, 64]) : t));
    expect(check(wrongRank)).toBe(
      "lora_shape_mismatch: tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape [8,64]; expected [4, in] (r = 4)",
    );
    // The same adapter against a wider base model: a LoRA shape mismatch with the base.
    const wider = { ...ARCH, hiddenSize: 128, headDim: 32 };
    expect(check(tensors, wider)).toBe(
      "base_model_mismatch: tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' takes 64 input features; the base model's model.layers.0.self_attn.q_proj takes 128",
    );
    expect(check(tensors, { ...ARCH, layers: 1 })).toBe(
      "base_model_mismatch: module 'model.layers.1.self_attn.q_proj': layer 1 does not exist: the base model has 1 layers",
    );
  });

  it("unpacks a pack from a tar, storing the weights as a stream and leaving other files", async () => {
    const tar = await bytesOf(writeLoraPack(CONFIG, adapter()));
    const withReadme = await bytesOf(
      writeTar([
        { path: "my-adapter/README.md", size: 5, data: Buffer.from("# hi\n") },
        ...(await filesOf(tar)).map((f) => ({ ...f, path: `my-adapter/${f.path}` })),
      ]),
    );
    const pack = await unpackLoraPack(
      [withReadme],
      { maxEntries: 8, maxBytes: 1 << 20 },
      async (chunks, size) => {
        const { header } = await openSafetensors(chunks, size);
        return header.tensors.length;
      },
    );
    expect(pack.config.r).toBe(4);
    expect(pack.weights).toBe(8);
    expect(pack.ignored).toEqual(["my-adapter/README.md"]);
  });

  it("refuses pickles inside a pack, and a pack without its two files", async () => {
    const unpack = async (files: { path: string; data: Buffer }[]) => {
      try {
        await unpackLoraPack(
          [await bytesOf(writeTar(files.map((f) => ({ ...f, size: f.data.length }))))],
          { maxEntries: 8, maxBytes: 1 << 20 },
          async () => 0,
        );
        return "ok";
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    const config = Buffer.from(JSON.stringify(CONFIG));
    expect(
      await unpack([
        { path: "adapter_config.json", data: config },
        { path: "adapter_model.bin", data: Buffer.from("x") },
      ]),
    ).toBe("pickle_refused");
    const pickled = Buffer.from([0x80, 0x04, 0x95, 0x00]);
    expect(await unpack([{ path: "extra.dat", data: pickled }])).toBe("pickle_refused");
    expect(await unpack([{ path: "adapter_config.json", data: config }])).toBe("lora_pack_invalid");
  });
});

async function filesOf(tar: Buffer) {
  const out: { path: string; size: number; data: Buffer }[] = [];
  for await (const e of readTar([tar], { maxEntries: 8, maxBytes: 1 << 20 })) {
    out.push({ path: e.path, size: e.size, data: await bytesOf(e.chunks) });
  }
  return out;
}
