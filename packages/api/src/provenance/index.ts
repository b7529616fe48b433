/** Provenance: which subscriber a leaked copy came from, and the publisher's own keys. */
export { traceBinary } from "./trace-binary.ts";
export {
  MAX_TRACE_CHARS,
  publisherEncryptionKey,
  traceInput,
  type TraceMatch,
  type TraceResult,
  traceLeak,
} from "./trace.ts";
