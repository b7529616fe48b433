/** Memories: what a vault's own agents write, with their history. */
export {
  archiveMemory,
  createMemory,
  getMemory,
  listMemories,
  memoryHistory,
  updateMemory,
} from "./memories.ts";
export { mergeMemories, restoreMemory } from "./memory-lifecycle.ts";
export {
  createMemoryInput,
  listMemoriesQuery,
  mergeMemoriesInput,
  restoreMemoryInput,
  updateMemoryInput,
} from "./schemas.ts";
export { applyRetention, type RetentionReport } from "./retention.ts";
