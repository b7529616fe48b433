import { z } from "zod";

const day = z.iso.date("use a date like 2026-11-21");

/** Filters of the audit log screen and its CSV/JSONL export. */
export const auditFilter = z.object({
  action: z.string().trim().max(100).optional(),
  actor: z.string().trim().max(200).optional(),
  object_type: z.string().trim().max(100).optional(),
  from: day.optional(),
  to: day.optional(),
});
export type AuditFilter = z.infer<typeof auditFilter>;
