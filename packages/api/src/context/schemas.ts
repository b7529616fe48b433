import { z } from "zod";
import { searchInput } from "../search/schemas.ts";
import { TOKENIZERS } from "./tokens.ts";

/** The most passages one context holds (a citation mark is at most this). */
export const MAX_CONTEXT_PASSAGES = 200;

/** What an agent sends for a context: REST, MCP and the SDK send the same. */
export const contextInput = z
  .object({
    query: searchInput.shape.query,
    /** The block's size in the tokenizer's tokens, citation marks and headings included. */
    max_tokens: z.number().int().min(50).max(32_000),
    tokenizer: z.enum(TOKENIZERS).default("o200k_base"),
    /** 0: the most relevant passages; toward 1, each next passage less like those taken. */
    diversity: z.number().min(0).max(1).default(0.3),
    filter: searchInput.shape.filter,
    as_of: searchInput.shape.as_of,
    /** The agent's base model (as in a module's `base_model`): modules for others are left out. */
    model: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[^\p{Cc}]+$/u, "a model name is printable text on one line")
      .optional(),
  })
  .strict();
export type ContextInput = z.infer<typeof contextInput>;

/** Which passages the agent used (their marks), and whether the context helped. */
export const contextFeedbackInput = z
  .object({
    used: z.array(z.number().int().min(1).max(MAX_CONTEXT_PASSAGES)).max(MAX_CONTEXT_PASSAGES),
    helpful: z.boolean().optional(),
  })
  .strict();
export type ContextFeedback = z.infer<typeof contextFeedbackInput>;
