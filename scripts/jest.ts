/**
 * Runs Jest under the Node.js the test bed provisions (test/bed/node.ts), whatever Node started
 * `npm test`: Jest itself, and so the in-process integration suites, under Node 24; Node 22 fetched
 * too, for the `node22` project. Every argument goes to Jest; the exit code is Jest's.
 *
 *     tsx scripts/jest.ts --selectProjects unit integration e2e compat node22 [jest options]
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import * as path from "node:path";
import { DEFAULT_NODE_MAJOR, ensureNode, nodeEnvVar, NODE_VERSIONS, type NodeMajor } from "../test/bed/node";

const REPO_ROOT = path.resolve(__dirname, "..");
const log = (line: string) => process.stderr.write(`[test bed] ${line}\n`);

async function main(): Promise<number> {
  const majors = Object.keys(NODE_VERSIONS).map(Number) as NodeMajor[];
  let nodes;
  try {
    nodes = await Promise.all(majors.map((m) => ensureNode(m, log)));
  } catch (e) {
    log(`provisioning Node.js failed: ${(e as Error).message}`);
    return 1;
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const n of nodes) env[nodeEnvVar(n.major)] = n.node;
  const jestNode = nodes.find((n) => n.major === DEFAULT_NODE_MAJOR)!;
  // `node` on PATH is the provisioned one too, for every child that looks it up (npm, tsx, shebangs).
  env.PATH = [jestNode.binDir, process.env.PATH ?? ""].join(path.delimiter);
  log(`Jest under Node.js ${jestNode.version}; Node.js ${nodes.map((n) => n.version).join(" and ")} ready`);

  const child = spawn(jestNode.node, ["--experimental-vm-modules", path.join(REPO_ROOT, "node_modules", "jest", "bin", "jest.js"), ...process.argv.slice(2)], {
    cwd: REPO_ROOT,
    env,
    stdio: "inherit",
  });
  // A terminal's Ctrl-C reaches Jest through the process group; a signal to this process alone is passed on.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => {
    child.on("error", (e) => {
      log(`could not start Jest: ${e.message}`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

main().then((code) => process.exit(code));
