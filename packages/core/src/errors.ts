/**
 * The one error type of MemStore. A `code` says what went wrong in the product's words; the HTTP
 * status it maps to is decided here and nowhere else.
 */
const STATUS_BY_CODE = {
  invalid_input: 400,
  invalid_json: 400,
  base_model_config_invalid: 400,
  unauthenticated: 401,
  link_expired: 410,
  entitlement_required: 402,
  entitlement_inactive: 402,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  slug_taken: 409,
  version_exists: 409,
  version_not_draft: 409,
  version_yanked: 409,
  version_held: 409,
  preview_rate: 429,
  preview_off: 403,
  payload_missing: 409,
  no_ready_version: 409,
  already_installed: 409,
  vault_frozen: 423,
  payload_too_large: 413,
  draft_storage_exceeded: 413,
  unsupported_media_type: 415,
  pickle_refused: 415,
  content_rejected: 422,
  pii_residual: 422,
  payments_unconfigured: 503,
  webhook_signature_invalid: 400,
  dimension_mismatch: 422,
  no_matching_version: 422,
  webhook_target_refused: 422,
  // Binary payloads: each way a safetensors file or a tar can be wrong has its own code.
  safetensors_truncated: 422,
  safetensors_header_too_large: 422,
  safetensors_header_past_eof: 422,
  safetensors_header_invalid: 422,
  safetensors_duplicate_key: 422,
  safetensors_unknown_dtype: 422,
  safetensors_bad_shape: 422,
  safetensors_byte_length: 422,
  safetensors_overlap: 422,
  safetensors_hole: 422,
  safetensors_metadata: 422,
  safetensors_size_mismatch: 422,
  tar_unsafe: 422,
  tar_invalid: 422,
  bundle_invalid: 422,
  lora_pack_invalid: 422,
  lora_config_invalid: 422,
  lora_key_invalid: 422,
  lora_pair_incomplete: 422,
  lora_shape_mismatch: 422,
  kv_layout_invalid: 422,
  kv_metadata_invalid: 422,
  kv_prefix_mismatch: 422,
  tensor_not_finite: 422,
  base_model_mismatch: 422,
  base_model_unknown: 422,
  onnx_export_invalid: 422,
  kv_run_mismatch: 422,
  lora_no_effect: 422,
  gpu_unavailable: 503,
  range_not_satisfiable: 416,
  license_rate: 429,
  purpose_not_licensed: 403,
  access_not_granted: 403,
  review_not_eligible: 403,
  already_replied: 409,
  feedback_given: 409,
  internal: 500,
  dependency_down: 503,
  database_locked: 503,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, detail: string, extra?: Record<string, unknown>) {
    super(detail);
    this.name = "AppError";
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.extra = extra;
  }
}

export function statusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Throws a 404 for a missing object; a helper because every service needs it. */
export function notFound(what: string): never {
  throw new AppError("not_found", `${what} not found`);
}
