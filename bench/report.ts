/**
 * Renders benchmark figures (`.bench/<timestamp>.json`, written by bench/run.ts) as BENCHMARKS.md and
 * the chart bench/time-vs-n.svg:
 *
 *   npx tsx bench/report.ts .bench/<file>.json
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderChart } from "./chart";
import type { PeaksByRole, Role } from "./procPeak";
import type { ResourceBytes } from "./stateSize";
import { CLIENT_VALUE_SIZES } from "./programs";

export interface Row {
  /** "pulumi": the dynamic provider; "plugin": the provider plugin; "floor": Pulumi's own floor (trivial dynamic resources). */
  tool: "pulumi" | "plugin" | "floor" | "raw" | "kcreg";
  step: string;
  clients: number;
  seconds: number;
  /** Requests seen at the proxy, as "METHOD kind": count. */
  requests?: Record<string, number>;
  /** TCP connections the client opened to the proxy. */
  connections?: number;
  /** Requests in flight at once (raw floor, kcreg). */
  concurrency?: number;
  /** Peak RSS per process role while the command ran (pulumi only). */
  memory?: PeaksByRole;
  /** Where the time went (pulumi only), in seconds: see phasesFromLog in bench/run.ts. */
  phases?: { startup?: number; program?: number; wrapUp?: number; providerStartedAt?: number };
  /** CPU seconds Keycloak's JVM used during the step. */
  keycloakCpuSeconds?: number;
  note?: string;
}

export interface StateFigures {
  clients: number;
  /** Whether `__provider` is a reference to the package's shell module rather than the shell's code. */
  providerIsReference?: boolean;
  /** `__provider` itself when it is short (it is code, no secret). */
  providerText?: string;
  /** The backend's checkpoint file (compact JSON). */
  fileBytes: number;
  /** `pulumi stack export` (indented JSON). */
  exportBytes: number;
  /** The stack and the default provider resources (compact JSON). */
  otherResourcesBytes: number;
  /** Everything under the backend's .pulumi/ (checkpoint, its .bak, backups and history of every update so far). */
  backendBytes: number;
  backendFiles: number;
  /** Average per KeycloakClient resource, compact JSON. */
  perClient: ResourceBytes;
}

export interface Results {
  version: 2;
  date: string;
  command: string;
  clients: number[];
  kcregClients: number[];
  /** Requests in flight at once for the raw floor: Pulumi's parallelism. */
  parallel: number;
  parallelSource: string;
  keycloak: string;
  pulumi: string;
  pulumiSdk: string;
  node: string;
  machine: string;
  loadAverage: Record<string, number>;
  /** Which build of the package was benchmarked. */
  package?: string;
  /** Extra environment every pulumi command ran with (e.g. PULUMI_SKIP_CHECKPOINTS). */
  pulumiEnv?: Record<string, string>;
  /** How the provider registers clients. */
  auth?: string;
  /** Peak RSS of a node that only loads modules (bench/run.ts moduleBaseline). */
  moduleBaseline?: Array<{ label: string; peakRssKiB: number; modules: number; seconds?: number }>;
  rows: Row[];
  states: StateFigures[];
  /** The same figures through the provider plugin (issue 13). */
  pluginStates?: StateFigures[];
  /** The front-door comparison at N = 100, round by round (bench/run.ts frontDoorRounds). */
  rounds?: RoundFigures[];
}

/** One round of the front-door comparison: `up` and `destroy` (raw: create and delete) seconds, and CPU seconds during `up`. */
export interface RoundFigures {
  round: number;
  /** "shaped": Pulumi's floor given a client's shape (bench/programs.ts), not part of the verdict; absent from runs before 2026-12-07. */
  order: Array<"dynamic" | "plugin" | "floor" | "raw" | "shaped">;
  /** One-minute load average when the round started. */
  load: number;
  up: Partial<Record<"dynamic" | "plugin" | "floor" | "raw" | "shaped", number>>;
  destroy: Partial<Record<"dynamic" | "plugin" | "floor" | "raw" | "shaped", number>>;
  cpu: Partial<Record<"dynamic" | "plugin" | "floor" | "raw" | "shaped", { engine: number; program: number; provider: number; keycloak: number }>>;
}

/** Pulumi steps in the order they run, and the raw-floor step each compares with. */
export const PULUMI_STEPS: Array<{ step: string; floor?: string }> = [
  { step: "up (create)", floor: "create" },
  { step: "preview, no change" },
  { step: "up, no change" },
  { step: "up, one client changed" },
  { step: "up (update all)", floor: "update all" },
  { step: "refresh" },
  { step: "destroy", floor: "delete" },
];

const TARGET_STATE_OVERHEAD = 2048;
const TARGET_UP_RATIO = 1.5;

export const total = (r?: Row) => (r?.requests ? Object.values(r.requests).reduce((a, b) => a + b, 0) : undefined);
const writes = (r?: Row) => (r?.requests ? Object.entries(r.requests).filter(([k]) => !k.startsWith("GET ")).reduce((a, [, v]) => a + v, 0) : undefined);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
/** Three decimals, where two could round a miss of the 1.05 target down to 1.05. */
const f3 = (x: number) => x.toFixed(3);
const opt = (x?: number) => (x === undefined ? "" : x.toFixed(1));
const ms = (s: number) => (s * 1000).toFixed(0);
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
const mib = (k?: number) => (k === undefined ? "" : `${(k / 1024).toFixed(0)} MiB`);
const int = (x: number) => Math.round(x).toLocaleString("en-US");
const requestList = (r?: Record<string, number>) => (r ? Object.entries(r).map(([k, v]) => `${k}: ${v}`).join(", ") || "none" : "");

export function find(results: Results, tool: Row["tool"], step: string, clients: number): Row | undefined {
  return results.rows.find((r) => r.tool === tool && r.step === step && r.clients === clients && (tool !== "raw" || r.concurrency === results.parallel));
}

export function floorOf(results: Results, step: string, clients: number): Row | undefined {
  const floor = PULUMI_STEPS.find((s) => s.step === step)?.floor;
  return floor ? find(results, "raw", floor, clients) : undefined;
}

/** Least squares t = a + b·N. */
function fit(points: Array<[number, number]>): { a: number; b: number; r2: number } | undefined {
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  if (sxx === 0) return undefined;
  const b = sxy / sxx;
  const a = my - b * mx;
  const ssTot = points.reduce((s, [, y]) => s + (y - my) ** 2, 0);
  const ssRes = points.reduce((s, [x, y]) => s + (y - (a + b * x)) ** 2, 0);
  return { a, b, r2: ssTot === 0 ? 1 : 1 - ssRes / ssTot };
}

/** Marginal cost per client between consecutive N, in ms. */
function marginals(points: Array<[number, number]>): number[] {
  const out: number[] = [];
  for (let i = 1; i < points.length; i++) out.push(((points[i]![1] - points[i - 1]![1]) / (points[i]![0] - points[i - 1]![0])) * 1000);
  return out;
}

function series(results: Results, tool: Row["tool"], step: string): Array<[number, number]> {
  const ns = tool === "kcreg" ? results.kcregClients : results.clients;
  return ns.flatMap((n) => {
    const r = find(results, tool, step, n);
    return r ? [[n, r.seconds] as [number, number]] : [];
  });
}

function targets(results: Results): string[] {
  const ns = results.clients;
  const stepRows = (step: string) => ns.map((n) => find(results, "pulumi", step, n));
  const all = (step: string, pred: (r: Row) => boolean) => stepRows(step).every((r) => r !== undefined && pred(r));
  const perN = (step: string, show: (r: Row) => string) => stepRows(step).map((r, i) => `N=${ns[i]}: ${r ? show(r) : "not measured"}`).join("; ");
  const lines = ["| target | figures | met |", "| --- | --- | --- |"];

  lines.push(`| no-op \`preview\` sends 0 requests | ${perN("preview, no change", (r) => `${total(r)} requests`)} | ${all("preview, no change", (r) => total(r) === 0) ? "yes" : "**no**"} |`);
  lines.push(`| no-op \`up\` sends 0 writes | ${perN("up, no change", (r) => `${writes(r)} writes, ${total(r)} requests in all`)} | ${all("up, no change", (r) => writes(r) === 0) ? "yes" : "**no**"} |`);
  lines.push(`| one changed client costs exactly 1 request | ${perN("up, one client changed", (r) => `${requestList(r.requests)}`)} | ${all("up, one client changed", (r) => total(r) === 1) ? "yes" : "**no**"} |`);

  // up at N = 100 (or the N closest to it) within 1.5× the raw floor.
  const n100 = [...ns].sort((a, b) => Math.abs(a - 100) - Math.abs(b - 100))[0]!;
  const up = find(results, "pulumi", "up (create)", n100);
  const floor = floorOf(results, "up (create)", n100);
  const empty = results.rows.find((r) => r.tool === "pulumi" && r.step === "up, empty program");
  if (up && floor) {
    const ratio = up.seconds / floor.seconds;
    const beyond = empty ? ` Beyond the fixed cost of an \`up\` with nothing to do (${f1(empty.seconds)} s, empty program), Pulumi spends ${f1(up.seconds - empty.seconds)} s: ${f1((up.seconds - empty.seconds) / floor.seconds)}× the floor.` : "";
    const upPts = series(results, "pulumi", "up (create)");
    const rawPts = series(results, "raw", "create");
    const a = upPts.length > 1 ? fit(upPts) : undefined;
    const b = rawPts.length > 1 ? fit(rawPts) : undefined;
    const marginal = a && b ? ` Per additional client (least squares over N = ${ns.join(", ")}): ${ms(a.b)} ms against ${ms(b.b)} ms.` : "";
    lines.push(
      `| \`up\` at N = ${n100} within ${TARGET_UP_RATIO}× the raw floor (${results.parallel} at a time) | ${f1(up.seconds)} s against ${f2(floor.seconds)} s: **${f1(ratio)}×**.${beyond}${marginal} | ${ratio <= TARGET_UP_RATIO ? "yes" : "**no**"}${n100 !== 100 ? ` (N = 100 not measured; N = ${n100})` : ""} |`,
    );
  }

  const overheads = results.states.map((s) => ({ n: s.clients, over: s.perClient.total - s.perClient.fields, s }));
  if (overheads.length) {
    lines.push(
      `| state per client at most ${int(TARGET_STATE_OVERHEAD)} bytes beyond the client's own fields | ${overheads
        .map(({ n, over, s }) => `N=${n}: ${int(s.perClient.total)} bytes per client, own fields ${int(s.perClient.fields)}, **${int(over)} beyond** (\`__provider\` ${int(s.perClient.provider)})`)
        .join("; ")} | ${overheads.every((o) => o.over <= TARGET_STATE_OVERHEAD) ? "yes" : "**no**"} |`,
    );
  }

  // Linear growth: requests per client the same at every N; marginal time per client not growing.
  const perClientRequests = PULUMI_STEPS.filter((s) => s.step !== "up, one client changed").map((s) => {
    const counts = stepRows(s.step).map((r) => (r && total(r) !== undefined ? total(r)! / r.clients : NaN));
    return { step: s.step, same: counts.every((c) => c === counts[0]), counts };
  });
  const upMarginals = marginals(series(results, "pulumi", "up (create)"));
  const destroyMarginals = marginals(series(results, "pulumi", "destroy"));
  // Super-linear growth would show as a marginal cost per client that rises from one interval to the next.
  const timeLinear = [upMarginals, destroyMarginals].every((m) => m.length < 2 || m[m.length - 1]! <= 1.5 * Math.max(m[0]!, 1));
  const requestsLinear = perClientRequests.every((p) => p.same);
  // The engine's writes (mostly whole-checkpoint rewrites): the exponent k of N^k from the first to the last N.
  const wrote = (n: number) => find(results, "pulumi", "up (create)", n)?.memory?.engine?.writtenBytes;
  const [n0, n1] = [ns[0]!, ns[ns.length - 1]!];
  const w0 = wrote(n0);
  const w1 = wrote(n1);
  const writeExponent = w0 && w1 && n1 > n0 ? Math.log(w1 / w0) / Math.log(n1 / n0) : undefined;
  const writesText =
    writeExponent === undefined
      ? ""
      : ` The engine's writes during \`up (create)\` (mostly the checkpoint, rewritten whole after each step): ${(w0! / 2 ** 20).toFixed(1)} MiB at N=${n0}, ${(w1! / 2 ** 20).toFixed(1)} MiB at N=${n1}: they grow as N^${writeExponent.toFixed(1)}.`;
  const verdict =
    (!requestsLinear ? "**no**" : ns.length < 3 ? "requests: yes; time: not tested with two N" : timeLinear ? "yes" : "**no**") +
    (writeExponent !== undefined && writeExponent > 1.5 ? `; checkpoint writes: **no** (N^${writeExponent.toFixed(1)})` : "");
  const marginalText = (label: string, m: number[]) =>
    m.length ? `${label}: ${m.map((x, i) => `${ms(x / 1000)} ms/client ${ns[i]}→${ns[i + 1]}`).join(", ")}` : "";
  lines.push(
    `| cost grows linearly in N | requests per client at every N: ${perClientRequests.map((p) => `${p.step} ${p.same ? f2(p.counts[0]!) : p.counts.map(f2).join("/")}`).join(", ")}. ` +
      `Marginal time ${[marginalText("up", upMarginals), marginalText("destroy", destroyMarginals)].filter(Boolean).join("; ")}${ns.length < 3 ? " (two N give one interval: curvature is not tested)" : ""}.${writesText} | ${verdict} |`,
  );
  // Issue 13: the front doors.
  const rounds = results.rounds;
  if (rounds?.length) {
    const ratios = (who: "dynamic" | "plugin") => rounds.map((r) => r.up[who]! / (r.up.floor! + r.up.raw!));
    const [dyn, plug] = [median(ratios("dynamic")), median(ratios("plugin"))];
    lines.push(
      `| (issue 13) each front door's \`up\` at N = 100 within ${TARGET_FRONT_DOOR_RATIO} × (Pulumi floor + raw floor) | median of ${rounds.length} round${rounds.length === 1 ? "" : "s"}: dynamic provider ${f3(dyn)}×, plugin ${f3(plug)}× (see *Front doors*) | ` +
        `${dyn <= TARGET_FRONT_DOOR_RATIO ? "yes" : "**no**"} / ${plug <= TARGET_FRONT_DOOR_RATIO ? "yes" : "**no**"} |`,
    );
  }
  if (results.pluginStates?.length) {
    const beyond = results.pluginStates.map((st) => ({ n: st.clients, bytes: st.perClient.total - st.perClient.fields }));
    lines.push(
      `| (issue 13) plugin state at most ${int(TARGET_PLUGIN_STATE_OVERHEAD)} bytes per client beyond its own fields | ${beyond.map((b) => `N=${b.n}: ${int(b.bytes)}`).join("; ")} | ${beyond.every((b) => b.bytes <= TARGET_PLUGIN_STATE_OVERHEAD) ? "yes" : "**no**"} |`,
    );
  }
  return lines;
}

function pulumiTable(results: Results): string[] {
  const lines = [
    `| step | N | seconds | ms per client | raw floor, s (${results.parallel} at a time) | × raw floor | requests | per client | connections |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
  ];
  for (const { step } of PULUMI_STEPS) {
    for (const n of results.clients) {
      const r = find(results, "pulumi", step, n);
      if (!r) continue;
      const floor = floorOf(results, step, n);
      const t = total(r);
      lines.push(
        `| ${step} | ${n} | ${f1(r.seconds)} | ${ms(r.seconds / n)} | ${floor ? f2(floor.seconds) : ""} | ${floor ? f1(r.seconds / floor.seconds) : ""} | ${requestList(r.requests)} | ${t === undefined ? "" : f2(t / n)} | ${r.connections ?? ""} |`,
      );
    }
  }
  const empty = results.rows.find((r) => r.tool === "pulumi" && r.step === "up, empty program");
  if (empty) lines.push(`| up, empty program (fixed cost) | 0 | ${f1(empty.seconds)} |  |  |  | ${requestList(empty.requests)} |  | ${empty.connections ?? ""} |`);
  return lines;
}

function othersTable(results: Results): string[] {
  const lines = ["| tool | step | N | at a time | seconds | ms per client | requests | note |", "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"];
  for (const r of results.rows.filter((x) => x.tool === "raw" || x.tool === "kcreg")) {
    const tool = r.tool === "raw" ? (r.concurrency === results.parallel ? "raw floor" : "raw API") : "kcreg.sh";
    lines.push(`| ${tool} | ${r.step} | ${r.clients} | ${r.concurrency ?? ""} | ${f2(r.seconds)} | ${ms(r.seconds / r.clients)} | ${requestList(r.requests)} | ${r.note ?? ""} |`);
  }
  return lines;
}

function linearityTable(results: Results): string[] {
  const ns = results.clients;
  const header = `| series | ${ns.map((n) => `N=${n}, s`).join(" | ")} | marginal ms per client | fit: fixed s + ms per client (R²) |`;
  const lines = [header, `| --- | ${ns.map(() => "---:").join(" | ")} | --- | --- |`];
  const add = (label: string, tool: Row["tool"], step: string) => {
    const pts = series(results, tool, step);
    if (!pts.length) return;
    const byN = new Map(pts);
    const m = marginals(pts);
    const fitted = fit(pts);
    lines.push(
      `| ${label} | ${ns.map((n) => (byN.has(n) ? f2(byN.get(n)!) : "")).join(" | ")} | ${m.map((x, i) => `${ms(x / 1000)} (${pts[i]![0]}→${pts[i + 1]![0]})`).join(", ")} | ${fitted ? `${f2(fitted.a)} s + ${ms(fitted.b)} ms × N${pts.length > 2 ? ` (${fitted.r2.toFixed(3)})` : ""}` : ""} |`,
    );
  };
  for (const { step } of PULUMI_STEPS) add(`pulumi ${step}`, "pulumi", step);
  add(`raw floor create (${results.parallel} at a time)`, "raw", "create");
  add(`raw floor update all`, "raw", "update all");
  add(`raw floor delete`, "raw", "delete");
  return lines;
}

function phasesTable(results: Results): string[] {
  const lines = [
    "| step | N | seconds | CLI start → program start | program run | program exit → CLI exit | provider started at | engine wrote | ÷ checkpoint size |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const { step } of PULUMI_STEPS) {
    for (const n of results.clients) {
      const r = find(results, "pulumi", step, n);
      if (!r?.phases && !r?.memory?.engine?.writtenBytes) continue;
      const p = r.phases ?? {};
      const wrote = r.memory?.engine?.writtenBytes;
      const checkpoint = results.states.find((st) => st.clients === n)?.fileBytes;
      lines.push(
        `| ${step} | ${n} | ${f1(r.seconds)} | ${opt(p.startup)} | ${p.program === undefined ? "no program" : f1(p.program)} | ${opt(p.wrapUp)} | ${opt(p.providerStartedAt)} | ` +
          `${wrote ? `${(wrote / 2 ** 20).toFixed(1)} MiB` : ""} | ${wrote && checkpoint ? f1(wrote / checkpoint) : ""} |`,
      );
    }
  }
  const empty = results.rows.find((r) => r.tool === "pulumi" && r.step === "up, empty program");
  if (empty?.phases) lines.push(`| up, empty program | 0 | ${f1(empty.seconds)} | ${opt(empty.phases.startup)} | ${opt(empty.phases.program)} | ${opt(empty.phases.wrapUp)} | not started | | |`);
  return lines;
}

const ROLES: Role[] = ["provider", "program", "language host", "engine"];

function memoryTable(results: Results): string[] {
  const lines = [
    "| N | command | dynamic provider | program | language host | engine (pulumi CLI) |",
    "| ---: | --- | ---: | ---: | ---: | ---: |",
  ];
  for (const n of results.clients) {
    const rows = results.rows.filter((r) => r.tool === "pulumi" && r.clients === n && r.memory);
    const peak = (role: Role) => Math.max(0, ...rows.map((r) => r.memory?.[role]?.peakRssKiB ?? 0)) || undefined;
    const up = find(results, "pulumi", "up (create)", n);
    if (up?.memory) lines.push(`| ${n} | up (create) | ${ROLES.map((role) => mib(up.memory?.[role]?.peakRssKiB)).join(" | ")} |`);
    lines.push(`| ${n} | highest of all ${rows.length} commands | ${ROLES.map((role) => mib(peak(role))).join(" | ")} |`);
  }
  const providerPts: Array<[number, number]> = results.clients.flatMap((n) => {
    const k = find(results, "pulumi", "up (create)", n)?.memory?.provider?.peakRssKiB;
    return k ? [[n, k] as [number, number]] : [];
  });
  if (providerPts.length > 1) {
    const first = find(results, "pulumi", "up (create)", results.clients[0]!)?.memory;
    const lastN = results.clients[results.clients.length - 1]!;
    const last = find(results, "pulumi", "up (create)", lastN)?.memory;
    const growth = ROLES.map((role) => {
      const a = first?.[role]?.peakRssKiB;
      const b = last?.[role]?.peakRssKiB;
      return a && b ? `${role} ${((b - a) / (lastN - results.clients[0]!)).toFixed(0)} KiB` : undefined;
    }).filter(Boolean);
    lines.push("", `Growth of the peak RSS during \`up (create)\` per additional client, N = ${results.clients[0]} to ${lastN}: ${growth.join(", ")}.`);
  }
  if (results.moduleBaseline?.length) {
    lines.push(
      "",
      "What a node process weighs after loading modules only (no work done), to split the provider's figure:",
      "",
      "| loaded | peak RSS | modules | seconds to start, load and exit |",
      "| --- | ---: | ---: | ---: |",
      ...results.moduleBaseline.map((b) => `| ${b.label} | ${mib(b.peakRssKiB)} | ${b.modules} | ${b.seconds === undefined ? "" : f2(b.seconds)} |`),
    );
  }
  return lines;
}

function stateTable(results: Results): string[] {
  const lines = [
    "| N | checkpoint file | per client | client resource | own fields | inputs (again) | `__provider` (inputs + outputs) | secret envelopes | stack trace | bookkeeping | **beyond own fields** |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of results.states) {
    const p = s.perClient;
    lines.push(
      `| ${s.clients} | ${int(s.fileBytes)} | ${int(s.fileBytes / s.clients)} | ${int(p.total)} | ${int(p.fields)} | ${int(p.inputs)} | ${int(p.provider)} | ${int(p.secretEnvelope)} | ${int(p.stackTrace)} | ${int(p.bookkeeping)} | **${int(p.total - p.fields)}** |`,
    );
  }
  const last = results.states[results.states.length - 1];
  if (last) {
    const p = last.perClient;
    lines.push(
      "",
      `At N = ${last.clients} the serialized provider is ${int(p.providerOnce)} bytes` +
        `${last.providerIsReference === undefined ? "" : last.providerIsReference ? " (a reference to the package's shell module)" : " (the shell's code, not a reference to the package)"}, stored twice per client (inputs and outputs): ` +
        `${Math.round((p.provider / p.total) * 100)}% of a client's resource and ${Math.round(((p.provider * last.clients) / last.fileBytes) * 100)}% of the checkpoint file. ` +
        `The stack and default-provider resources add ${int(last.otherResourcesBytes)} bytes once. ` +
        `\`pulumi stack export\` prints the same state indented: ${int(last.exportBytes)} bytes. ` +
        `The file backend also keeps a full copy of the checkpoint per update (backups and history): after the ${PULUMI_STEPS.length - 1} commands that wrote state, its .pulumi/ directory holds ${kib(last.backendBytes)} in ${last.backendFiles} files.`,
    );
  }
  if (last?.providerText) lines.push("", "`__provider` as stored:", "", "```js", last.providerText.trim(), "```");
  if (results.states.length > 1) {
    const a = results.states[0]!;
    const b = results.states[results.states.length - 1]!;
    lines.push("", `Marginal checkpoint bytes per client between N = ${a.clients} and N = ${b.clients}: ${int((b.fileBytes - a.fileBytes) / (b.clients - a.clients))}.`);
  }
  return lines;
}

const TARGET_FRONT_DOOR_RATIO = 1.05;
const TARGET_PLUGIN_STATE_OVERHEAD = 1536;

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The front-door rounds at N = 100: each round's figures, the medians, the verdict, and where the CPU time went. */
function roundsTable(results: Results): string[] {
  const rounds = results.rounds;
  if (!rounds?.length) return [];
  const ratio = (r: RoundFigures, who: "dynamic" | "plugin", what: "up" | "destroy") => r[what][who]! / (r[what].floor! + r[what].raw!);
  const lines = [
    `### The verdict: ${rounds.length} round${rounds.length === 1 ? "" : "s"} at N = 100`,
    "",
    `Each round runs the ${rounds[0]!.order.length === 5 ? "five" : "four"} contenders once, on fresh stacks, in a rotated order; a ratio compares figures of the same round. ` +
      "The verdict is the median of the rounds' ratios.",
    "",
    "| round | order | load | dynamic `up`, s | plugin `up`, s | Pulumi floor `up`, s | raw create, s | floor sum, s | dynamic ÷ sum | plugin ÷ sum | dynamic `destroy` ÷ sum | plugin `destroy` ÷ sum |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rounds) {
    lines.push(
      `| ${r.round} | ${r.order.join(", ")} | ${f1(r.load)} | ${f2(r.up.dynamic!)} | ${f2(r.up.plugin!)} | ${f2(r.up.floor!)} | ${f2(r.up.raw!)} | ${f2(r.up.floor! + r.up.raw!)} | ` +
        `${f2(ratio(r, "dynamic", "up"))} | ${f2(ratio(r, "plugin", "up"))} | ${f2(ratio(r, "dynamic", "destroy"))} | ${f2(ratio(r, "plugin", "destroy"))} |`,
    );
  }
  const med = (f: (r: RoundFigures) => number) => median(rounds.map(f));
  const dyn = med((r) => ratio(r, "dynamic", "up"));
  const plug = med((r) => ratio(r, "plugin", "up"));
  lines.push(
    `| **median** | | | ${f2(med((r) => r.up.dynamic!))} | ${f2(med((r) => r.up.plugin!))} | ${f2(med((r) => r.up.floor!))} | ${f2(med((r) => r.up.raw!))} | ${f2(med((r) => r.up.floor! + r.up.raw!))} | ` +
      `**${f2(dyn)}** | **${f2(plug)}** | ${f2(med((r) => ratio(r, "dynamic", "destroy")))} | ${f2(med((r) => ratio(r, "plugin", "destroy")))} |`,
    "",
    `Target (\`up\` within ${TARGET_FRONT_DOOR_RATIO} × the floor sum): dynamic provider ${dyn <= TARGET_FRONT_DOOR_RATIO ? "**met**" : "**not met**"} (${f3(dyn)}), ` +
      `plugin ${plug <= TARGET_FRONT_DOOR_RATIO ? "**met**" : "**not met**"} (${f3(plug)}). Rounds within the target: dynamic ${rounds.filter((r) => ratio(r, "dynamic", "up") <= TARGET_FRONT_DOOR_RATIO).length} of ${rounds.length}, ` +
      `plugin ${rounds.filter((r) => ratio(r, "plugin", "up") <= TARGET_FRONT_DOOR_RATIO).length} of ${rounds.length}.`,
    "",
    "CPU seconds during `up` (median over the rounds; /proc utime + stime of each process, Keycloak's JVM included; the raw floor's create, update and delete together). On 2 cores, the sum over all processes divided by 2 bounds the wall time from below:",
    "",
    "| contender | engine | program | provider | Keycloak | all |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  );
  const shaped = rounds.every((r) => r.up.shaped !== undefined);
  for (const who of ["dynamic", "plugin", "floor", "raw", ...(shaped ? (["shaped"] as const) : [])] as const) {
    const c = (k: "engine" | "program" | "provider" | "keycloak") => med((r) => r.cpu[who]?.[k] ?? 0);
    const label = { dynamic: "dynamic provider", plugin: "plugin", floor: "Pulumi floor", raw: "raw floor", shaped: "Pulumi floor, a client's shape" }[who];
    lines.push(`| ${label} | ${f2(c("engine"))} | ${f2(c("program"))} | ${f2(c("provider"))} | ${f2(c("keycloak"))} | ${f2(med((r) => { const x = r.cpu[who]; return x ? x.engine + x.program + x.provider + x.keycloak : 0; }))} |`);
  }
  lines.push("");
  if (shaped) lines.push(...shapedTable(rounds));
  return lines;
}

/**
 * Pulumi's floor given a client's shape (bench/programs.ts: a no-I/O provider, declared as
 * KeycloakClient declares a client, with the inputs it registers and outputs of the sizes Keycloak
 * returns, two of them secret): what of the gap between a front door and the target's floor is
 * Pulumi's cost for a resource of that shape. Not the target's floor; shown beside it.
 */
function shapedTable(rounds: RoundFigures[]): string[] {
  const med = (f: (r: RoundFigures) => number) => median(rounds.map(f));
  const over = (r: RoundFigures, who: "dynamic" | "plugin") => r.up[who]! / (r.up.shaped! + r.up.raw!);
  const lines = [
    "*Pulumi floor, a client's shape* (not the target's floor): the floor's no-I/O provider given the bench clients' shape and declared the way `KeycloakClient` declares a client " +
      "(a one-line `__provider`, Pulumi's per-property stack capture muted): the inputs `KeycloakClient` registers for them, the same output properties, and outputs of the sizes Keycloak returns " +
      `(a registration access token of ${CLIENT_VALUE_SIZES.registrationAccessToken} characters and a confidential client's secret of ${CLIENT_VALUE_SIZES.clientSecret}, both secret outputs; bench/programs.ts). ` +
      "Its difference to the Pulumi floor is Pulumi's own cost for a resource of a client's shape, which no front door can shed; a front door's time beyond it (and the raw floor) is its own work and Keycloak's:",
    "",
    "| round | Pulumi floor `up`, s | a client's shape `up`, s | difference, s | dynamic ÷ (shape + raw) | plugin ÷ (shape + raw) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rounds) {
    lines.push(`| ${r.round} | ${f2(r.up.floor!)} | ${f2(r.up.shaped!)} | ${f2(r.up.shaped! - r.up.floor!)} | ${f2(over(r, "dynamic"))} | ${f2(over(r, "plugin"))} |`);
  }
  lines.push(
    `| **median** | ${f2(med((r) => r.up.floor!))} | ${f2(med((r) => r.up.shaped!))} | ${f2(med((r) => r.up.shaped! - r.up.floor!))} | **${f2(med((r) => over(r, "dynamic")))}** | **${f2(med((r) => over(r, "plugin")))}** |`,
    "",
  );
  return lines;
}

/**
 * Issue 13: the dynamic provider and the plugin at the same N, against Pulumi's own floor plus the raw
 * HTTP floor, and the state each front door keeps per client.
 */
function frontDoors(results: Results): string[] {
  if (!results.pluginStates) return [];
  const lines = [
    "## Front doors at the same N (issue 13)",
    "",
    `*Pulumi floor*: \`up\` of N dynamic resources whose provider does no I/O (Pulumi's own cost per resource). *Raw floor*: the registrations as plain HTTP, ${results.parallel} at a time. ` +
      `Target: each front door's \`up\` within ${TARGET_FRONT_DOOR_RATIO} × (Pulumi floor + raw floor) at N = 100.`,
    "",
    ...roundsTable(results),
    `Once at each N, in the sequence of the steps below (dynamic provider, plugin, Pulumi floor, raw floor; no verdict from a single run):`,
    "",
    "| N | step | dynamic provider, s | plugin, s | Pulumi floor, s | raw floor, s | floor sum, s | dynamic ÷ sum | plugin ÷ sum |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const n of results.clients) {
    for (const [step, floorStep] of [["up (create)", "up (create)"], ["destroy", "destroy"]] as const) {
      const dyn = find(results, "pulumi", step, n);
      const plug = find(results, "plugin", step, n);
      const pf = find(results, "floor", floorStep, n);
      const raw = floorOf(results, step, n);
      const sum = pf && raw ? pf.seconds + raw.seconds : undefined;
      const ratio = (r?: Row) => (r && sum ? r.seconds / sum : undefined);
      lines.push(
        `| ${n} | ${step} | ${dyn ? f1(dyn.seconds) : ""} | ${plug ? f1(plug.seconds) : ""} | ${pf ? f1(pf.seconds) : ""} | ${raw ? f2(raw.seconds) : ""} | ${sum ? f1(sum) : ""} | ` +
          `${ratio(dyn) === undefined ? "" : f2(ratio(dyn)!)} | ${ratio(plug) === undefined ? "" : f2(ratio(plug)!)} |`,
      );
    }
  }
  lines.push("", "Every step through both front doors (requests counted at the proxy):", "", "| step | N | dynamic provider, s | plugin, s | dynamic requests | plugin requests |", "| --- | ---: | ---: | ---: | --- | --- |");
  for (const { step } of PULUMI_STEPS) {
    for (const n of results.clients) {
      const dyn = find(results, "pulumi", step, n);
      const plug = find(results, "plugin", step, n);
      if (!dyn && !plug) continue;
      lines.push(`| ${step} | ${n} | ${dyn ? f1(dyn.seconds) : ""} | ${plug ? f1(plug.seconds) : ""} | ${requestList(dyn?.requests)} | ${requestList(plug?.requests)} |`);
    }
  }
  lines.push(
    "",
    `State per client (compact JSON, as in *State size* below). Target for the plugin: at most ${int(TARGET_PLUGIN_STATE_OVERHEAD)} bytes beyond the client's own fields.`,
    "",
    "| front door | N | client resource | own fields | inputs (again) | `__provider` | secret envelopes | stack trace | bookkeeping | **beyond own fields** | met |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  );
  for (const [label, states, target] of [["dynamic provider", results.states, TARGET_STATE_OVERHEAD], ["plugin", results.pluginStates, TARGET_PLUGIN_STATE_OVERHEAD]] as const) {
    for (const st of states) {
      const p = st.perClient;
      const beyond = p.total - p.fields;
      lines.push(
        `| ${label} | ${st.clients} | ${int(p.total)} | ${int(p.fields)} | ${int(p.inputs)} | ${int(p.provider)} | ${int(p.secretEnvelope)} | ${int(p.stackTrace)} | ${int(p.bookkeeping)} | **${int(beyond)}** | ${beyond <= target ? "yes" : "**no**"} (≤ ${int(target)}) |`,
      );
    }
  }
  lines.push("");
  return lines;
}

export function render(results: Results, chartPath = "bench/time-vs-n.svg"): string {
  const load = Object.entries(results.loadAverage).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
  return [
    "# Benchmarks",
    "",
    `Generated by \`${results.command}\` (bench/run.ts) on ${results.date.slice(0, 10)}: ${results.machine}. ` +
      `Keycloak ${results.keycloak}, Pulumi CLI ${results.pulumi}, @pulumi/pulumi ${results.pulumiSdk}, Node.js ${results.node}` +
      `${results.package ? `; the package built from ${results.package}, loaded from a copy in a real node_modules` : ""}. ` +
      `One-minute load average: ${load} (the machine is shared; wall times are noisy, request counts and bytes are exact).`,
    "",
    `- **Raw floor**: the same registrations as plain HTTP requests (axios, keep-alive) from a process of its own, ` +
      `**${results.parallel} at a time**: ${results.parallelSource} (\`defaultParallel()\` in pkg/cmd/pulumi/operations/up.go is 4 × GOMAXPROCS). ` +
      "Same request bodies as the provider sends (the ownership marker attribute included), through the same proxy." +
      (results.auth ? ` The provider registers with: ${results.auth}.` : "") +
      (results.pulumiEnv ? ` **Every pulumi command ran with ${Object.entries(results.pulumiEnv).map(([k, v]) => `${k}=${v}`).join(", ")}.**` : ""),
    "- **Requests and connections** are counted at a loopback proxy between the client and Keycloak (bench/proxy.ts).",
    "- **Peak memory** is each process' VmHWM, polled from /proc every 100 ms while the command runs (bench/procPeak.ts).",
    "- **kcreg.sh** runs one command per client, one after another (a JVM each), as a shell loop would.",
    "",
    `![wall time against N](${chartPath})`,
    "",
    "## Targets (issue 7)",
    "",
    ...targets(results),
    "",
    ...frontDoors(results),
    "## Pulumi, step by step",
    "",
    ...pulumiTable(results),
    "",
    "## Raw floor and kcreg.sh",
    "",
    ...othersTable(results),
    "",
    "## Where Pulumi's time goes",
    "",
    "From the test bed's language-host log (timestamps of the program's start and exit) and /proc (when the provider process was first seen, polled every 100 ms), seconds after the `pulumi` CLI was started. " +
      "The program runs until every resource it registered is done, so the deployment itself is inside *program run*. " +
      "*Engine wrote*: the `pulumi` process' `wchar` (/proc/<pid>/io: files, pipes and sockets), mostly the checkpoint, which the file backend rewrites whole after each step; " +
      "*÷ checkpoint size*: that figure over the size of the checkpoint of N clients.",
    "",
    ...phasesTable(results),
    "",
    "## Linearity",
    "",
    ...linearityTable(results),
    "",
    "## Peak memory (RSS)",
    "",
    ...memoryTable(results),
    "",
    "## State size (bytes)",
    "",
    "Compact JSON, as the file backend stores it. *Own fields*: the resource's outputs without `__provider`, secrets at their plaintext size. " +
      "*Inputs*: the declared fields again. *Secret envelopes*: what encryption adds beyond the plaintext (registration access token, client secret). " +
      "*Stack trace*: `sourcePosition` and `stackTrace`. *Bookkeeping*: urn, type, id, parent, provider reference, propertyDependencies, additionalSecretOutputs, timestamps, keys.",
    "",
    ...stateTable(results),
    "",
  ].join("\n");
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: tsx bench/report.ts .bench/<file>.json");
  const results = JSON.parse(fs.readFileSync(file, "utf8")) as Results;
  const root = path.join(__dirname, "..");
  fs.writeFileSync(path.join(root, "bench", "time-vs-n.svg"), renderChart(results));
  fs.writeFileSync(path.join(root, "BENCHMARKS.md"), render(results));
  process.stderr.write("wrote BENCHMARKS.md and bench/time-vs-n.svg\n");
}
