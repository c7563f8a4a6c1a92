/** The dashboard's styles: light and dark, tables that turn into cards under 700 px. */
export const DASHBOARD_STYLES = `
:root {
  --bg: #f5f6f8; --card: #ffffff; --text: #1c2430; --muted: #667085; --line: #e3e6eb;
  --accent: #2563eb; --accent-soft: rgba(37, 99, 235, 0.14); --p95: #c2410c; --p95-soft: rgba(194, 65, 12, 0.12);
  --ok: #15803d; --ok-bg: #dcfce7; --warn: #a16207; --warn-bg: #fef3c7; --bad: #b91c1c; --bad-bg: #fee2e2;
  --bar: #e5e7eb;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: 14px; line-height: 1.4; color: var(--text); background: var(--bg);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f141a; --card: #171d25; --text: #e6e9ee; --muted: #98a2b3; --line: #2a323d;
    --accent: #60a5fa; --accent-soft: rgba(96, 165, 250, 0.18); --p95: #fb923c; --p95-soft: rgba(251, 146, 60, 0.14);
    --ok: #4ade80; --ok-bg: rgba(74, 222, 128, 0.14); --warn: #facc15; --warn-bg: rgba(250, 204, 21, 0.14);
    --bad: #f87171; --bad-bg: rgba(248, 113, 113, 0.16); --bar: #2a323d;
  }
}
* { box-sizing: border-box; }
body { margin: 0; }
[hidden] { display: none !important; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
.top { display: flex; align-items: baseline; justify-content: space-between; gap: 1rem; padding: 0.9rem 1.25rem; }
.top h1 { margin: 0; font-size: 1.25rem; letter-spacing: 0.01em; }
main { padding: 0 1.25rem 1.5rem; max-width: 1400px; margin: 0 auto; }
.connection { margin: 0; font-size: 0.85rem; color: var(--muted); }
.connection::before { content: ""; display: inline-block; width: 0.55rem; height: 0.55rem; border-radius: 50%; margin-right: 0.4rem; background: var(--warn); }
.connection[data-state="live"]::before { background: var(--ok); }
.connection[data-state="down"]::before { background: var(--bad); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.1rem; margin-bottom: 1rem; }
.card h2 { margin: 0 0 0.75rem; font-size: 1rem; }
.muted { color: var(--muted); font-weight: normal; }
.error { color: var(--bad); }
.login { max-width: 28rem; margin: 3rem auto; }
.login form { display: flex; gap: 0.5rem; }
.login input { flex: 1; min-width: 0; padding: 0.5rem 0.6rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--text); font: inherit; }
.login button { padding: 0.5rem 1rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; cursor: pointer; }
.summary { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 1rem; margin-bottom: 1rem; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 0.75rem 1rem; display: flex; flex-direction: column; }
.stat-label { color: var(--muted); font-size: 0.8rem; }
.stat-value { font-size: 1.45rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.25rem; }
.chart { margin: 0; min-width: 0; }
.chart figcaption { font-size: 0.85rem; color: var(--muted); margin-bottom: 0.25rem; display: flex; justify-content: space-between; }
.chart svg { display: block; width: 100%; height: 90px; border-bottom: 1px solid var(--line); }
.chart .line { fill: none; stroke-width: 2; vector-effect: non-scaling-stroke; stroke-linejoin: round; }
.chart .grid-line { stroke: var(--line); stroke-width: 1; vector-effect: non-scaling-stroke; stroke-dasharray: 3 3; }
#chart-rps .line { stroke: var(--accent); }
#chart-rps .area { fill: var(--accent-soft); }
#chart-p95 .line { stroke: var(--p95); }
#chart-p95 .area { fill: var(--p95-soft); }
.chart-axis { grid-column: 1 / -1; display: flex; justify-content: space-between; margin: 0.2rem 0 0; font-size: 0.75rem; color: var(--muted); }
.chart-max { font-variant-numeric: tabular-nums; }
table.grid { width: 100%; border-collapse: collapse; }
.grid th { text-align: left; font-size: 0.78rem; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.03em; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); }
.grid td { padding: 0.55rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; font-variant-numeric: tabular-nums; }
.grid tbody tr:last-child td { border-bottom: 0; }
.node-name { font-weight: 600; overflow-wrap: anywhere; }
.node-runtime { color: var(--muted); font-size: 0.82rem; overflow-wrap: anywhere; }
.node-models { color: var(--muted); font-size: 0.78rem; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0.08rem 0.5rem; border-radius: 999px; font-size: 0.78rem; font-weight: 600; white-space: nowrap; }
.badge + .badge { margin-left: 0.25rem; }
.badge.online, .badge.s2 { color: var(--ok); background: var(--ok-bg); }
.badge.stale, .badge.draining, .badge.cooling, .badge.s4 { color: var(--warn); background: var(--warn-bg); }
.badge.unknown, .badge.down, .badge.s5, .badge.s0 { color: var(--bad); background: var(--bad-bg); }
.gpu { min-width: 13rem; }
.gpu + .gpu { margin-top: 0.45rem; }
.gpu-name { font-size: 0.85rem; overflow-wrap: anywhere; }
.gpu-line { display: flex; align-items: center; gap: 0.5rem; font-size: 0.78rem; color: var(--muted); }
.bar { flex: 1; height: 0.5rem; border-radius: 999px; background: var(--bar); overflow: hidden; min-width: 4rem; }
.bar-fill { height: 100%; background: var(--accent); border-radius: 999px; }
.bar-fill.high { background: var(--warn); }
.bar-fill.full { background: var(--bad); }
.none { color: var(--muted); }
.reason { color: var(--muted); font-size: 0.85rem; overflow-wrap: anywhere; }
.decisions td:nth-child(2) { overflow-wrap: anywhere; }
.empty pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
@media (max-width: 700px) {
  html { font-size: 15px; }
  .top, main { padding-left: 0.75rem; padding-right: 0.75rem; }
  .summary { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.6rem; }
  .charts { grid-template-columns: 1fr; }
  .chart + .chart { margin-top: 0.75rem; }
  .card { padding: 0.85rem; }
  table.grid, .grid tbody, .grid tr, .grid td { display: block; width: 100%; }
  .grid thead { display: none; }
  .grid tbody tr { border: 1px solid var(--line); border-radius: 8px; padding: 0.35rem 0.7rem; margin-bottom: 0.6rem; }
  .grid td { display: flex; gap: 0.75rem; justify-content: space-between; border-bottom: 1px dashed var(--line); padding: 0.4rem 0; text-align: right; }
  .grid tbody tr td:last-child { border-bottom: 0; }
  .grid td::before { content: attr(data-label); color: var(--muted); font-size: 0.78rem; text-align: left; flex: none; }
  .grid td > * { min-width: 0; }
  .nodes td:first-child { display: block; text-align: left; }
  .nodes td:first-child::before { content: none; }
  .gpu { min-width: 0; flex: 1; }
  .gpu-line { justify-content: flex-end; }
  /* A node card: name, state and GPUs across, then the five small numbers in a grid. */
  .nodes tbody tr { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); column-gap: 0.6rem; }
  .nodes td:nth-child(-n+3) { grid-column: 1 / -1; }
  .nodes td:nth-child(n+4) { display: block; text-align: left; border-bottom: 0; padding-bottom: 0.2rem; }
  .nodes td:nth-child(n+4)::before { display: block; }
  /* A decision is one compact card: time, model and status; node and duration; the reason. */
  .decisions tbody tr { display: grid; grid-template-columns: auto minmax(0, 1fr) auto; grid-template-areas: "time model status" "node node duration" "reason reason reason"; column-gap: 0.6rem; row-gap: 0.1rem; padding: 0.45rem 0.7rem; }
  .decisions td, .decisions tbody tr td:last-child { display: block; border: 0; padding: 0; text-align: left; width: auto; }
  .decisions td::before { content: none; }
  .decisions td:nth-child(1) { grid-area: time; color: var(--muted); }
  .decisions td:nth-child(2) { grid-area: model; font-weight: 600; }
  .decisions td:nth-child(3) { grid-area: node; }
  .decisions td:nth-child(4) { grid-area: reason; }
  .decisions td:nth-child(5) { grid-area: status; }
  .decisions td:nth-child(6) { grid-area: duration; text-align: right; color: var(--muted); }
}
`
