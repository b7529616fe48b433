/**
 * Two rules of the repository's shape, checked in CI (`npm run lint`):
 * - no import cycles: no source file reaches itself through its imports (type-only and dynamic
 *   imports included; `@memstore/*` imports resolved to the workspace file they name);
 * - no import runs upward between `packages/api`'s folders: each folder is one noun, the nouns are
 *   declared once below from the lowest (the kernel every service stands on) to the highest, and a
 *   file imports only from its own folder or from folders below it (the package's root files, its
 *   entry points and the sweeps that drive every noun, sit above them all);
 * - no transport runs a query of its own: the web app's and the workers' code imports neither
 *   `@memstore/db` nor `drizzle-orm` (it calls the services in `@memstore/api`);
 * - no function over 80 lines, no React component over 150 (see function-lengths.ts): a rule on
 *   what a reader takes in at once, where a cap on a file's length would invite splitting it by
 *   size rather than by meaning.
 * Prints each problem; exits 1 if there is any.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import ts from "typescript";
import { longFunctions, MAX_FUNCTION_LINES } from "./function-lengths.ts";

/** `packages/api/src`'s folders, lowest first (why each sits where it does: docs/architecture.md, "Code map"). */
const API_LAYERS = [
  "kernel",
  "audit",
  "identity",
  "outbox",
  "models",
  "pipeline",
  "catalog",
  "derivations",
  "payments",
  "entitlements",
  "listings",
  "usage",
  "watermarking",
  "search",
  "evaluation",
  "store",
  "vaults",
  "context",
  "memories",
  "portability",
  "events",
];
const API_SRC = "packages/api/src/";
const root = join(import.meta.dirname, "..");
const CODE = /\.(ts|tsx|mts|js|mjs)$/;

const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: root,
  encoding: "utf8",
})
  .split("\n")
  .filter((f) => f && existsSync(join(root, f)));

/** `@memstore/x` and `@memstore/x/sub` → the workspace file its package.json `exports` names. */
const packages = new Map<string, { dir: string; exports: Record<string, string> }>();
for (const file of files.filter((f) => f.endsWith("package.json") && f !== "package.json")) {
  const json = JSON.parse(readFileSync(join(root, file), "utf8")) as {
    name?: string;
    exports?: Record<string, string> | string;
  };
  if (!json.name?.startsWith("@memstore/")) continue;
  const exports = typeof json.exports === "string" ? { ".": json.exports } : (json.exports ?? {});
  packages.set(json.name, { dir: dirname(file), exports });
}

const known = new Set(files);
function withExtension(path: string): string | null {
  for (const candidate of [path, `${path}.ts`, `${path}.tsx`, `${path}/index.ts`, `${path}/index.tsx`]) {
    if (known.has(candidate)) return candidate;
  }
  return null;
}

function resolve(from: string, specifier: string): string | null {
  if (specifier.startsWith(".")) return withExtension(normalize(join(dirname(from), specifier)));
  const match = /^(@memstore\/[^/]+)(\/.*)?$/.exec(specifier);
  const pkg = match && packages.get(match[1]!);
  if (!pkg) return null;
  const target = pkg.exports[`.${match?.[2] ?? ""}`];
  return target ? withExtension(normalize(join(pkg.dir, target))) : null;
}

const graph = new Map<string, string[]>();
for (const file of files.filter((f) => CODE.test(f))) {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
  const targets = importedFiles.map((i) => resolve(file, i.fileName)).filter((t): t is string => t !== null);
  graph.set(file, [...new Set(targets)]);
}

/** Tarjan's strongly connected components: each one with more than one file is a cycle. */
function cycles(): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A file's layer in packages/api: its folder's place in API_LAYERS; the root files above them all. */
function layerOf(file: string): number | null {
  if (!file.startsWith(API_SRC)) return null;
  const parts = file.slice(API_SRC.length).split("/");
  if (parts.length === 1) return API_LAYERS.length;
  const layer = API_LAYERS.indexOf(parts[0]!);
  return layer === -1 ? -1 : layer;
}

function upwardImports(): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    if (from === null) continue;
    if (from === -1) found.push(`${file}: its folder is not one of the layers declared in API_LAYERS`);
    for (const target of targets) {
      const to = layerOf(target);
      if (to !== null && to > from) found.push(`${file} imports upward: ${target}`);
    }
  }
  return found;
}

/** The transports (REST, tRPC, MCP, the portal, the job processors): they call services, never the database. */
const TRANSPORTS = [/^apps\/web\/(src|app)\//, /^workers\/src\//];
const QUERY_MODULES = new Set(["@memstore/db", "drizzle-orm"]);

function transportQueries(): string[] {
  const found: string[] = [];
  for (const file of graph.keys()) {
    if (!TRANSPORTS.some((t) => t.test(file)) || /\.test\.tsx?$/.test(file)) continue;
    const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
    for (const { fileName } of importedFiles)
      if (QUERY_MODULES.has(fileName)) found.push(`${file} runs queries of its own: it imports ${fileName}`);
  }
  return found;
}

const problems: string[] = [...upwardImports(), ...transportQueries()];
for (const component of cycles()) {
  problems.push(`import cycle among ${component.length} files:\n  ${component.join("\n  ")}`);
}
for (const f of longFunctions(root, files)) {
  problems.push(
    `${f.file}:${f.line}: ${f.name} is ${f.lines} lines (at most ${f.limit}); split it by what its parts do`,
  );
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(
    `\n${problems.length} structure problem(s); the rules are at the top of scripts/check-structure.ts`,
  );
  process.exit(1);
}
console.log(
  `structure: ${graph.size} modules, no import cycles, no upward import in packages/api, no query in a transport, no function over ${MAX_FUNCTION_LINES} lines`,
);
