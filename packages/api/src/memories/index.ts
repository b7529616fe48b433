/** Memories: what a vault's own agents write, with their history. */
export {
  archiveMemory,
  createMemory,
  getMemory,
  listMemories,
  memoryHistory,
  updateMemory,
} from "./memories.ts";
export { createMemoryInput, listMemoriesQuery, updateMemoryInput } from "./schemas.ts";
