/**
 * Writes schema.json, the plugin's Pulumi package schema, from the zod declarations
 * (provider/plugin/schema.ts) with descriptions taken from their JSDoc. `--check` writes nothing and
 * fails when the committed file differs (test/unit/schema.test.ts does the same).
 *
 *     npm run plugin:schema [-- --check]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { packageSchema } from "../provider/plugin/schema";

const REPO_ROOT = path.resolve(__dirname, "..");
export const SCHEMA_FILE = path.join(REPO_ROOT, "schema.json");

/** A JSDoc comment as Markdown on one line: `{@link X}` becomes X. */
function docText(node: ts.Node): string | undefined {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  // When two comments precede a property, the nearest one is its own.
  const own = docs[docs.length - 1];
  if (!own?.comment) return undefined;
  const text = typeof own.comment === "string" ? own.comment : own.comment.map((c) => (ts.isJSDocLink(c) ? (c.name?.getText() ?? c.text) : c.text)).join("");
  return text.replace(/\s+/g, " ").trim() || undefined;
}

/** JSDoc of every documented property in object literals, keyed "<variable>.<property path>". */
export function propertyDocs(files: string[]): Map<string, string> {
  const docs = new Map<string, string>();
  for (const file of files) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node) => {
      if (ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
        const text = docText(node);
        const key = keyOf(node);
        if (text && key) docs.set(key, text);
      }
      if (ts.isVariableStatement(node)) {
        const text = docText(node);
        const name = node.declarationList.declarations[0]?.name;
        if (text && name && ts.isIdentifier(name)) docs.set(name.text, text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return docs;
}

function keyOf(node: ts.PropertyAssignment): string | undefined {
  const names: string[] = [];
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if (ts.isPropertyAssignment(n) && (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name))) names.unshift(n.name.text);
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) return [n.name.text, ...names].join(".");
  }
  return undefined;
}

/** JSDoc of exported classes, by class name. */
export function classDocs(files: string[]): Record<string, string> {
  const docs: Record<string, string> = {};
  for (const file of files) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    for (const statement of source.statements) {
      if (ts.isClassDeclaration(statement) && statement.name) {
        const text = docText(statement);
        if (text) docs[statement.name.text] = text;
      }
    }
  }
  return docs;
}

/** The schema as committed: JSON with two-space indents and a final newline. */
export function generateSchemaText(): string {
  const schemaDir = path.join(REPO_ROOT, "provider", "schema");
  const files = fs.readdirSync(schemaDir).filter((f) => f.endsWith(".ts")).sort().map((f) => path.join(schemaDir, f));
  const resourcesDir = path.join(REPO_ROOT, "provider", "resources");
  const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
  const schema = packageSchema({
    version,
    docs: propertyDocs(files),
    resourceDocs: classDocs(["keycloakClient", "oidcClient", "samlClient"].map((f) => path.join(resourcesDir, `${f}.ts`))),
  });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (require.main === module) {
  const text = generateSchemaText();
  if (process.argv.includes("--check")) {
    const committed = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, "utf8") : "";
    if (committed !== text) {
      process.stderr.write("schema.json differs from the zod declarations: run `npm run plugin:schema` and commit it\n");
      process.exit(1);
    }
    process.stdout.write("schema.json is up to date\n");
  } else {
    fs.writeFileSync(SCHEMA_FILE, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)} (${text.length} bytes)\n`);
  }
}
