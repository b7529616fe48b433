/** An audit row as the API shows it. */
export type AuditRow = {
  seq: number;
  created_at: string;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
  data: Record<string, unknown>;
  hash: string;
};

/** One line of `GET /api/v1/audit/export`: the row with everything its hash covers, and its link. */
export type ExportedRow = AuditRow & { org_id: string; prev_hash: string };
