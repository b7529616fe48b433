/** Derivations: cubes made from others (a KV snapshot from a plaintext version, merged or re-ranked LoRA packs). */
export { deriveKvInput, deriveKvSnapshot, deriveKvVersion } from "./derive-kv.ts";
export { mergeLoraInput, mergeLoraPacks, reduceLoraRank, reduceRankInput } from "./derive-lora.ts";
