/** Watermarking: the marks each subscriber's copy carries on the way out, and tracing a leak back by them. */
export { fingerprintedCopy, fingerprintOnInstall } from "./fingerprinted-copies.ts";
export { traceBinary } from "./trace-binary.ts";
export {
  MAX_TRACE_CHARS,
  publisherEncryptionKey,
  traceInput,
  type TraceMatch,
  type TraceResult,
  traceLeak,
} from "./trace.ts";
