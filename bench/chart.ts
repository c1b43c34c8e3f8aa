import type { Results, Row } from "./report";

/**
 * A small SVG line chart of wall seconds against N, both axes logarithmic (the figures span from a
 * tenth of a second to minutes, and N from 10 to 500). No dependency: plain SVG text.
 */

interface Series {
  label: string;
  color: string;
  dash?: string;
  points: Array<[number, number]>;
}

function seriesOf(results: Results): Series[] {
  const pick = (tool: Row["tool"], step: string, concurrency?: number): Array<[number, number]> =>
    results.rows
      .filter((r) => r.tool === tool && r.step === step && (concurrency === undefined || r.concurrency === concurrency))
      .sort((a, b) => a.clients - b.clients)
      .map((r) => [r.clients, r.seconds]);
  const p = results.parallel;
  return [
    { label: "pulumi up (create)", color: "#1f60b4", points: pick("pulumi", "up (create)") },
    { label: "pulumi destroy", color: "#e07000", points: pick("pulumi", "destroy") },
    { label: "pulumi up, no change", color: "#2a9d3a", points: pick("pulumi", "up, no change") },
    { label: `raw floor create (${p} at a time)`, color: "#1f60b4", dash: "6 4", points: pick("raw", "create", p) },
    { label: `raw floor delete (${p} at a time)`, color: "#e07000", dash: "6 4", points: pick("raw", "delete", p) },
    { label: "kcreg.sh create (1 at a time)", color: "#c0282d", dash: "2 3", points: pick("kcreg", "create") },
  ].filter((s) => s.points.length > 0);
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function fmtSeconds(s: number): string {
  return s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(1) : s.toFixed(2);
}

function tickLabel(v: number): string {
  return v >= 1 ? String(Math.round(v)) : String(Number(v.toPrecision(1)));
}

export function renderChart(results: Results): string {
  const series = seriesOf(results);
  const W = 820;
  const H = 500;
  const m = { left: 70, right: 250, top: 50, bottom: 60 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = series.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => y > 0);
  const xMin = Math.min(...xs) / 1.3;
  const xMax = Math.max(...xs) * 1.3;
  // Bounds on the 1-2-5 grid just outside the data.
  const steps = (v: number) => [1, 2, 5].map((k) => k * 10 ** Math.floor(Math.log10(v)));
  const yMin = Math.max(...steps(Math.min(...ys)).filter((b) => b <= Math.min(...ys)));
  const yMax = [...steps(Math.max(...ys)), 10 ** (Math.floor(Math.log10(Math.max(...ys))) + 1)].find((b) => b >= Math.max(...ys))!;
  const X = (x: number) => m.left + ((Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * pw;
  const Y = (y: number) => m.top + ph - ((Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(
    `<text x="${m.left}" y="22" font-size="15" font-weight="bold">Wall time against N (log–log)</text>`,
    `<text x="${m.left}" y="40" fill="#555">Keycloak ${esc(results.keycloak)}, Pulumi ${esc(results.pulumi)}, ${esc(results.machine.split(" (")[0] ?? "")}; ${esc(results.date.slice(0, 10))}</text>`,
  );

  // Grid: y at 1, 2, 5 × 10^k; x at every measured N and at decades.
  for (let d = 10 ** Math.floor(Math.log10(yMin)); d <= yMax * 1.0001; d *= 10) {
    for (const k of [1, 2, 5]) {
      const v = d * k;
      if (v < yMin * 0.9999) continue;
      if (v > yMax * 1.0001) break;
      const y = Y(v);
      out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${k === 1 ? "#ccc" : "#eee"}"/>`);
      out.push(`<text x="${m.left - 8}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#333">${tickLabel(v)}</text>`);
    }
  }
  const xTicks = [...new Set([...results.clients, ...results.kcregClients])].sort((a, b) => a - b);
  for (const v of xTicks) {
    const x = X(v);
    out.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${m.top}" y2="${m.top + ph}" stroke="#ddd"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle" fill="#333">${v}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 18}" text-anchor="middle">clients (N)</text>`);
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">wall time, seconds</text>`);

  // Lines, markers, and value labels that do not overlap.
  // Markers count as placed too, so that no label covers another series' point.
  const placed: Array<{ x: number; y: number; w: number }> = series.flatMap((s) => s.points.map(([x, y]) => ({ x: X(x), y: Y(y) + 4, w: 8 })));
  const free = (x: number, y: number, w: number) => placed.every((p) => Math.abs(p.x - x) > (p.w + w) / 2 || Math.abs(p.y - y) > 12);
  for (const s of series) {
    const pts = s.points.map(([x, y]) => [X(x), Y(y)] as const);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""} points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ")}"/>`);
    s.points.forEach(([, v], i) => {
      const [x, y] = pts[i]!;
      out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${s.color}"/>`);
      const text = fmtSeconds(v);
      const w = text.length * 7;
      // Beside the point, away from its own line: left of the first, right of the last, above a middle one.
      const side = s.points.length === 1 ? 1 : i === 0 ? -1 : i === s.points.length - 1 ? 1 : 0;
      const lx = x + side * (w / 2 + 7);
      for (const dy of side === 0 ? [-9, 17, -21, 29, -33, 41] : [4, -8, 16, -20, 28]) {
        const ly = y + dy;
        if (ly > m.top + 8 && ly < m.top + ph - 2 && free(lx, ly, w)) {
          placed.push({ x: lx, y: ly, w });
          out.push(`<text x="${lx.toFixed(1)}" y="${ly.toFixed(1)}" text-anchor="middle" font-size="11" fill="${s.color}">${text}</text>`);
          break;
        }
      }
    });
  }

  // Legend.
  const lx = m.left + pw + 18;
  series.forEach((s, i) => {
    const y = m.top + 14 + i * 22;
    out.push(`<line x1="${lx}" x2="${lx + 30}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`);
    out.push(`<circle cx="${lx + 15}" cy="${y}" r="3.5" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 38}" y="${y + 4}">${esc(s.label)}</text>`);
  });
  const noteY = m.top + 14 + series.length * 22 + 10;
  const notes = [
    "Raw floor: plain HTTP requests,",
    `${results.parallel} at a time = Pulumi's default`,
    "parallelism on this machine.",
    "Values in seconds.",
  ];
  notes.forEach((t, i) => out.push(`<text x="${lx}" y="${noteY + i * 16}" fill="#555" font-size="11">${esc(t)}</text>`));
  out.push("</svg>", "");
  return out.join("\n");
}
