/**
 * What may reach a log line. Errors are described by what went wrong, never by the data involved:
 * a failed query's text and parameters (an API key's prefix, a webhook secret, a password hash, a
 * memory's text) are left out. Every line then passes `redactSecrets`, which blanks what still looks
 * like a secret, wherever it came from.
 */

const SECRET_SHAPES: Array<[RegExp, string]> = [
  // API keys and their lookup prefixes.
  [/msk_[A-Za-z0-9_-]+/g, "msk_…"],
  // Subscriptions' webhook signing secrets.
  [/whsec_[A-Za-z0-9_-]+/g, "whsec_…"],
  // Password hashes (scrypt$N$r$p$salt$key).
  [/scrypt\$[^\s"',;)]+/g, "scrypt$…"],
  // Bearer tokens and JSON web tokens (session cookies).
  [/(Bearer\s+)[^\s"',;]+/gi, "$1…"],
  [/eyJ[\w-]{8,}\.[\w-]+\.[\w-]*/g, "[jwt]"],
  // PEM private keys.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, "[private key]"],
  // Credentials in a URL, and password fields of forms or query strings.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s/]+@/gi, "$1…@"],
  [/((?:password|passwd|secret|token|api_key)=)[^&\s"']+/gi, "$1…"],
  // Whatever a query library appended after the statement's parameters.
  [/\bparams: .*/g, "params: [not logged]"],
];

export function redactSecrets(line: string): string {
  let out = line;
  for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
  return out;
}

/** A log that redacts every line before writing it. */
export function redactingLog(write: (line: string) => void): (line: string) => void {
  return (line) => write(redactSecrets(line));
}

/**
 * An error in one line for a log or a report: its name and message, and for a failed query the
 * database's own complaint (`Failed query: …` with its statement and parameters is never kept).
 * `stack` adds the call frames, which hold no data.
 */
export function describeError(error: unknown, options: { stack?: boolean } = {}): string {
  if (!(error instanceof Error)) return redactSecrets(String(error));
  let described: string;
  if (error.message.startsWith("Failed query:")) {
    const cause = error.cause instanceof Error ? error.cause : null;
    const code = cause && "code" in cause && typeof cause.code === "string" ? ` (${cause.code})` : "";
    described = `query failed${code}: ${cause ? cause.message : "no reason given"}`;
  } else {
    described = `${error.name}: ${error.message}`;
  }
  if (options.stack && error.stack) {
    const frames = error.stack.split("\n").filter((l) => /^\s+at /.test(l));
    described += `\n${frames.join("\n")}`;
  }
  return redactSecrets(described);
}
