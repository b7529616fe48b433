/** The hash-chained audit log: reading, exporting and verifying it. */
export {
  AUDIT_CSV_HEADER,
  type AuditRow,
  auditCsvLine,
  auditRows,
  checkAuditChain,
  listAuditLog,
} from "./audit-log.ts";
export { type AuditFilter, auditFilter } from "./schemas.ts";
export { verifyAuditChain } from "./verify-audit-chain.ts";
