/** The hash-chained audit log: reading, exporting and verifying it. */
export {
  AUDIT_CSV_HEADER,
  type AuditRow,
  auditCsvLine,
  auditExportLines,
  auditRows,
  checkAuditChain,
  listAuditLog,
  nameActor,
} from "./audit-log.ts";
export { type AuditFilter, auditFilter } from "./schemas.ts";
export { verifyAuditChain } from "./verify-audit-chain.ts";
export { checkpointMovedHeads, createCheckpoint, listCheckpoints } from "./checkpoints.ts";
export { AuditExportVerifier, type Checkpoint, type ExportCheck, type ExportedRow } from "./verify-export.ts";
