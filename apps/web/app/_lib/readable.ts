/**
 * Zod's default messages as a person reads them: "Too small: expected string to have >=1
 * characters" becomes "Required". Messages a schema wrote itself pass through unchanged. Used for
 * what the browser's validation finds and for what the server's refusal lists per field.
 */
const RULES: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^Too small: expected string to have >=1 characters?$/, () => "Required"],
  [/^Too small: expected string to have >=(\d+) characters$/, (m) => `Use at least ${m[1]} characters`],
  [/^Too big: expected string to have <=(\d+) characters$/, (m) => `Use at most ${m[1]} characters`],
  [/^Too small: expected array to have >=(\d+) items?$/, (m) => `Add at least ${m[1]}`],
  [/^Too big: expected array to have <=(\d+) items$/, (m) => `Add at most ${m[1]}`],
  [/^Too small: expected number to be >0$/, () => "Must be more than 0"],
  [/^Too small: expected number to be >=(-?[\d.]+)$/, (m) => `Must be at least ${m[1]}`],
  [
    /^Too big: expected number to be <=(-?[\d.]+)$/,
    (m) => `Must be at most ${Number(m[1]).toLocaleString("en")}`,
  ],
  [
    /^Too big: expected number to be <(-?[\d.]+)$/,
    (m) => `Must be less than ${Number(m[1]).toLocaleString("en")}`,
  ],
  [/^Invalid input: expected \w+, received undefined$/, () => "Required"],
  [/^Invalid input: expected number, received NaN$/, () => "Enter a number"],
  [/^Invalid input: expected int, received number$/, () => "Enter a whole number"],
  [/^Invalid input: expected (\w+), received (\w+)$/, (m) => `Enter a ${m[1]}`],
  [/^Invalid email address$/, () => "Enter an email address, like name@example.com"],
  [/^Invalid URL$/, () => "Enter a full address, like https://example.com"],
  [/^Invalid option: expected one of .*$/, () => "Choose one of the options"],
  [/^Invalid (ISO )?date(time)?.*$/i, () => "Enter a date, like 2026-12-31"],
  [/^Unrecognized keys?: .*$/, () => "Not a field this form takes"],
];

export function readableMessage(message: string): string {
  for (const [pattern, say] of RULES) {
    const match = pattern.exec(message);
    if (match) return say(match);
  }
  return message;
}
