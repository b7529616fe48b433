/**
 * What a buyer checks before paying, as badges: the platform's signature, the desensitisation's
 * residual risk, and how far the version was validated on its base model. Store cards show the
 * latest version's; the listing page shows each version's with its figures.
 */
export type Checks = {
  signed: boolean;
  desensitised: string | null;
  validated: "model-run" | "static" | null;
} | null;

export type Validation = {
  base_model: string | null;
  level: "model-run" | "static";
  provider: string | null;
  kv: { logits_max_abs_diff: number | null; tolerance: number | null; speedup: number } | null;
  lora: { kl_mean: number; kl_max: number; modules: number } | null;
  note: string | null;
} | null;

export function CheckBadges({ checks }: { checks: Checks }) {
  if (!checks) return null;
  return (
    <div className="row small" data-testid="check-badges">
      {checks.signed && (
        <span className="badge ok" title="The platform's ed25519 signature over the manifest">
          ✓ Signed
        </span>
      )}
      {checks.desensitised && (
        <span
          className={`badge ${checks.desensitised === "none" ? "ok" : "warn"}`}
          title="Personal data found and handled before publishing; the residual risk is what is left"
        >
          Desensitised · risk {checks.desensitised}
        </span>
      )}
      {checks.validated && (
        <span
          className={`badge ${checks.validated === "model-run" ? "ok" : ""}`}
          title={
            checks.validated === "model-run"
              ? "Run on its base model and checked to work"
              : "Dimensions and values checked against its base model; not run"
          }
        >
          {checks.validated === "model-run" ? "✓ Validated on the model" : "Checked against the model"}
        </span>
      )}
    </div>
  );
}

const figure = (x: number) => (Math.abs(x) >= 0.01 ? x.toFixed(2) : x.toExponential(1));

/** One version's validation, in words: what ran where, and what it showed. */
export function ValidationBadge({ validation }: { validation: Validation }) {
  if (!validation) return null;
  const where = `${validation.base_model ?? "its base model"}${validation.provider ? ` (${validation.provider.toUpperCase()})` : ""}`;
  let text = `Checked against ${where}`;
  if (validation.kv) {
    const speedup = validation.kv.speedup.toFixed(1);
    text = `Validated on ${where} · ${validation.kv.speedup >= 1.05 ? `first token ${speedup}× sooner` : `no first-token speedup (${speedup}×) at this length`}`;
  } else if (validation.lora) {
    text = `Validated on ${where} · ${validation.lora.modules} modules change the output`;
  }
  const detail = validation.kv
    ? `Injected as past_key_values, the snapshot reproduces the full prompt's logits within ${figure(validation.kv.logits_max_abs_diff ?? 0)} (tolerance ${figure(validation.kv.tolerance ?? 0)}).`
    : validation.lora
      ? `Merged into the base model, the pack shifts next-token distributions by KL ${figure(validation.lora.kl_mean)} nats on average (max ${figure(validation.lora.kl_max)}).`
      : (validation.note ?? "Static checks only.");
  return (
    <span
      className={`badge ${validation.level === "model-run" ? "ok" : ""}`}
      title={detail}
      data-testid="validation-badge"
    >
      {text}
    </span>
  );
}
