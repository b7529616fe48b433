import { z } from "zod";

/** `PUT …/versions/{version}/eval?max_recall_drop=`: hold the version if recall@5 falls by more than this (0–1). */
export const evalSetQuery = z
  .object({ max_recall_drop: z.coerce.number().min(0).max(1).optional() })
  .strict();
