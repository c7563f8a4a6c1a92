/**
 * The dashboard's HTML: a static shell without data. `dashboard-script.ts` fills it from the event
 * stream; paths are relative, so the page also works behind a reverse proxy under a path prefix.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>llm-fleet</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard/app.css">
<script src="dashboard/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1>llm-fleet</h1>
  <p id="connection" class="connection" data-state="connecting">connecting…</p>
</header>
<main>
  <section id="login" class="card login" hidden>
    <h2>API key</h2>
    <p>This coordinator has <code>API_KEYS</code> set. Enter one to see the fleet; it is kept as a cookie for this page only.</p>
    <form id="login-form">
      <input id="login-key" type="password" autocomplete="current-password" placeholder="API key" required aria-label="API key">
      <button type="submit">Open</button>
    </form>
    <p id="login-error" class="error" hidden></p>
  </section>
  <div id="fleet" hidden>
    <section class="summary" aria-label="Summary">
      <div class="stat"><span class="stat-label">nodes online</span><span id="stat-online" class="stat-value">–</span></div>
      <div class="stat"><span class="stat-label">in flight</span><span id="stat-in-flight" class="stat-value">–</span></div>
      <div class="stat"><span class="stat-label">requests/s</span><span id="stat-rps" class="stat-value">–</span></div>
      <div class="stat"><span class="stat-label">p95 latency</span><span id="stat-p95" class="stat-value">–</span></div>
    </section>
    <section class="card charts" aria-label="Traffic, last 10 minutes">
      <figure class="chart">
        <figcaption>requests/s <span id="chart-rps-max" class="chart-max"></span></figcaption>
        <svg id="chart-rps" viewBox="0 0 600 100" preserveAspectRatio="none" role="img" aria-label="requests per second"></svg>
      </figure>
      <figure class="chart">
        <figcaption>p95 latency <span id="chart-p95-max" class="chart-max"></span></figcaption>
        <svg id="chart-p95" viewBox="0 0 600 100" preserveAspectRatio="none" role="img" aria-label="p95 latency"></svg>
      </figure>
      <p class="chart-axis"><span>10 min ago</span><span>now</span></p>
    </section>
    <section class="card" aria-labelledby="nodes-title">
      <h2 id="nodes-title">Nodes <span id="node-count" class="muted"></span></h2>
      <div id="empty" class="empty" hidden>
        <p><strong>No node has registered yet.</strong> On each GPU host, next to its LLM runtime, run the agent:</p>
        <pre><code id="agent-command"></code></pre>
        <p class="muted"><code>RUNTIME_URL</code> is the runtime as the agent reaches it (Ollama's default shown). The node appears here within a push interval.</p>
      </div>
      <table id="nodes" class="grid nodes">
        <thead><tr><th>Node</th><th>State</th><th>GPUs</th><th>Score</th><th>In flight</th><th>CPU</th><th>Memory</th><th>Last seen</th></tr></thead>
        <tbody></tbody>
      </table>
    </section>
    <section class="card" aria-labelledby="decisions-title">
      <h2 id="decisions-title">Recent routing decisions</h2>
      <p id="no-decisions" class="muted">No request yet.</p>
      <table id="decisions" class="grid decisions">
        <thead><tr><th>Time</th><th>Model</th><th>Node</th><th>Reason</th><th>Status</th><th>Duration</th></tr></thead>
        <tbody></tbody>
      </table>
    </section>
  </div>
  <noscript>The dashboard needs JavaScript.</noscript>
</main>
</body>
</html>
`
