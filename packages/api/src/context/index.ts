/** Context for agents: a token-budgeted, deduplicated, cited block from a vault, modules that fit, feedback. */
export { contextFeedbackInput, contextInput, type ContextInput } from "./schemas.ts";
export { contextWritten, vaultContext } from "./vault-context.ts";
export { listingSectionUse, recordContextFeedback, sectionUseQuery, sweepAgentContexts } from "./feedback.ts";
export { TOKENIZERS, tokenizer } from "./tokens.ts";
