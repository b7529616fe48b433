import { describe, expect, it } from "vitest";
import { pickleReason, refusePickle } from "./pickle.ts";

describe("pickle refusal", () => {
  it("refuses pickles by name, by protocol opcodes and inside PyTorch zips, and says how to convert", () => {
    const protocol4 = Uint8Array.from([0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x7d]);
    const torchZip = Buffer.concat([
      Buffer.from("PK\u0003\u0004"),
      Buffer.alloc(26),
      Buffer.from("archive/data.pkl"),
    ]);
    expect(pickleReason("adapter_model.bin", new Uint8Array(0))).toMatch(/by its name/);
    expect(pickleReason("weights.PT", new Uint8Array(0))).toMatch(/by its name/);
    expect(pickleReason("weights.safetensors", protocol4)).toMatch(/protocol 4/);
    expect(pickleReason(null, torchZip)).toMatch(/PyTorch zip/);
    expect(() => refusePickle("model.pkl", new Uint8Array(0))).toThrow(
      expect.objectContaining({
        code: "pickle_refused",
        status: 415,
        message: expect.stringMatching(/safetensors/),
      }),
    );
  });

  it("lets safetensors and other files through", () => {
    const safetensors = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{}")]);
    expect(pickleReason("adapter_model.safetensors", safetensors)).toBeNull();
    expect(pickleReason("adapter_config.json", Buffer.from('{"peft_type":"LORA"}'))).toBeNull();
    // A zip without a pickle in it is not refused as one.
    expect(
      pickleReason(null, Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.from("readme.txt")])),
    ).toBeNull();
    expect(() => refusePickle("x.safetensors", safetensors)).not.toThrow();
  });
});
