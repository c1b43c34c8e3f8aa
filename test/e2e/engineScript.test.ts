// `npm run engine -- --languages yaml,python,go`: the README's way to get `pulumi` and the language
// hosts of the YAML, Python and Go quick starts on a machine without a standard Pulumi installation.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../bed/selfLink";

const TSX_CLI = path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const script = (args: string[]) => spawnSync(process.execPath, [TSX_CLI, "scripts/pulumi-engine.ts", ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 20 * 60_000 });
const isExecutable = (file: string) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

jest.setTimeout(25 * 60_000);

describe("npm run engine (-- --languages)", () => {
  test("puts pulumi and the YAML, Python and Go hosts on one PATH line", () => {
    const text = script(["--languages", "yaml,python,go"]);
    expect(text.status).toBe(0);
    const json = script(["--json", "--languages", "yaml,python,go"]);
    expect(json.status).toBe(0);
    const out = JSON.parse(json.stdout) as { binDir: string; languages: Record<string, string> };
    expect(Object.keys(out.languages).sort()).toEqual(["go", "python", "yaml"]);
    expect(isExecutable(path.join(out.binDir, "pulumi"))).toBe(true);
    // Beside the bed's Node.js host: Pulumi's Node.js program generator, for the code `pulumi import` prints.
    expect(isExecutable(path.join(out.binDir, "kcreg-gen-program"))).toBe(true);
    for (const [language, dir] of Object.entries(out.languages)) expect([language, isExecutable(path.join(dir, `pulumi-language-${language}`))]).toEqual([language, true]);
    const line = text.stdout.split("\n").find((l) => l.startsWith("Use it with: export PATH="));
    expect(line).toBe(`Use it with: export PATH="${[out.binDir, out.languages.yaml, out.languages.python, out.languages.go].join(":")}:$PATH"`);
  });

  test("an unknown language is refused before anything is fetched, naming the ones it knows", () => {
    const r = script(["--languages", "yaml,cobol"]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("--languages takes a comma-separated list of yaml, python, go; unknown: cobol (nodejs comes with the engine)");
    expect(r.stdout).toBe("");
  });
});
