/**
 * A rule of the code's shape, measured instead of guessed from a file's length: no function over
 * 80 lines, and no React component (a capitalised function in a .tsx file) over 150. Tests, test
 * support (`/testing/` folders) and generated files are not held to it. A function's lines run from
 * its first to its last, comments inside included; a function nested in another counts on its own,
 * and inside its parent's lines too.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

export const MAX_FUNCTION_LINES = 80;
export const MAX_COMPONENT_LINES = 150;

const EXEMPT = [/\.test\.tsx?$/, /^test\//, /\/testing\//, /\/migrations\//, /\/generated\//, /\.d\.ts$/];
const CODE = /\.(ts|tsx|mts)$/;

type Measured = { file: string; line: number; name: string; lines: number; limit: number };

/** Every function over its limit in the given files (paths relative to `root`). */
export function longFunctions(root: string, files: string[]): Measured[] {
  const found: Measured[] = [];
  for (const file of files) {
    if (!CODE.test(file) || EXEMPT.some((e) => e.test(file))) continue;
    const kind = file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
    const source = ts.createSourceFile(
      file,
      readFileSync(join(root, file), "utf8"),
      ts.ScriptTarget.Latest,
      true,
      kind,
    );
    const visit = (node: ts.Node, name: string) => {
      const body = functionBody(node);
      if (body) {
        const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const component = kind === ts.ScriptKind.TSX && /^[A-Z]/.test(name);
        const limit = component ? MAX_COMPONENT_LINES : MAX_FUNCTION_LINES;
        if (last - first + 1 > limit)
          found.push({ file, line: first + 1, name, lines: last - first + 1, limit });
      }
      ts.forEachChild(node, (child) => visit(child, nameOf(child) ?? (body ? "(inner)" : name)));
    };
    visit(source, "(top)");
  }
  return found;
}

function functionBody(node: ts.Node): ts.Node | undefined {
  if (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  )
    return node.body;
  return undefined;
}

/** The name a function is known by: its own, or the variable, property or method it is assigned to. */
function nameOf(node: ts.Node): string | undefined {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name)
    return node.name.getText();
  if (ts.isVariableDeclaration(node) || ts.isPropertyAssignment(node)) return node.name.getText();
  return undefined;
}
