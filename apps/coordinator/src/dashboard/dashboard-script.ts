/**
 * The dashboard's browser script (plain ES2020, no build, no dependency). Every string that came from
 * an agent or a client (node names, URLs, GPU and model names, reasons) reaches the DOM through
 * `textContent` or an attribute value, never as markup. Kept in a TS string (String.raw, so its
 * backslashes survive) to leave `tsc` the only build step.
 */
export const DASHBOARD_SCRIPT = String.raw`'use strict';
(function () {
  var STATES = ['online', 'stale', 'draining'];
  var source = null;
  var retryTimer = 0;

  function byId(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function cell(label, className) {
    var td = el('td', className);
    td.setAttribute('data-label', label);
    return td;
  }

  function svgEl(tag, attributes) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var name in attributes) node.setAttribute(name, attributes[name]);
    return node;
  }

  function formatMs(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1) return '<1 ms';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
    return (ms / 60000).toFixed(1) + ' min';
  }

  function formatAgo(ms) {
    if (ms < 1500) return 'now';
    if (ms < 60000) return Math.round(ms / 1000) + ' s ago';
    if (ms < 3600000) return Math.round(ms / 60000) + ' min ago';
    return Math.round(ms / 3600000) + ' h ago';
  }

  function formatPct(value) {
    return value === null || value === undefined ? '–' : Math.round(value) + ' %';
  }

  function formatGiB(mib) {
    return (mib / 1024).toFixed(mib < 10240 ? 1 : 0);
  }

  function formatRate(value) {
    if (value >= 100) return String(Math.round(value));
    if (value >= 10) return value.toFixed(1);
    return value.toFixed(2);
  }

  function setConnection(state, text) {
    var node = byId('connection');
    node.setAttribute('data-state', state);
    node.textContent = text;
  }

  function badge(text, kind) {
    return el('span', 'badge ' + kind, text);
  }

  function bar(pct) {
    var outer = el('div', 'bar');
    var fill = el('div', 'bar-fill' + (pct >= 95 ? ' full' : pct >= 80 ? ' high' : ''));
    fill.style.width = Math.max(0, Math.min(100, pct)) + '%';
    outer.appendChild(fill);
    return outer;
  }

  function gpuBlock(gpu) {
    var block = el('div', 'gpu');
    block.appendChild(el('div', 'gpu-name', gpu.name));
    var vram = el('div', 'gpu-line');
    var used = gpu.vramUsedMiB;
    if (used !== null && gpu.vramTotalMiB > 0) {
      vram.appendChild(bar((used / gpu.vramTotalMiB) * 100));
      vram.appendChild(el('span', 'gpu-vram', formatGiB(used) + ' / ' + formatGiB(gpu.vramTotalMiB) + ' GiB'));
    } else {
      vram.appendChild(el('span', 'gpu-vram', formatGiB(gpu.vramTotalMiB) + ' GiB'));
    }
    block.appendChild(vram);
    var details = ['util ' + formatPct(gpu.utilizationPct)];
    if (gpu.temperatureC !== null) details.push(Math.round(gpu.temperatureC) + ' °C');
    if (gpu.powerDrawW !== null) details.push(Math.round(gpu.powerDrawW) + ' W');
    block.appendChild(el('div', 'gpu-line gpu-util', details.join(' · ')));
    return block;
  }

  function nodeRow(node) {
    var row = el('tr');
    row.setAttribute('data-node-id', node.id);

    var name = cell('Node');
    name.appendChild(el('div', 'node-name', node.name));
    name.appendChild(el('div', 'node-runtime', node.runtimeKind + ' · ' + node.runtimeUrl));
    if (node.modelCount > 0) {
      var more = node.modelCount > node.models.length ? ' +' + (node.modelCount - node.models.length) : '';
      name.appendChild(el('div', 'node-models', node.models.join(', ') + more));
    }
    row.appendChild(name);

    var state = cell('State');
    var badges = el('div');
    var known = STATES.indexOf(node.state) >= 0;
    badges.appendChild(badge(known ? node.state : 'unknown', known ? node.state : 'unknown'));
    if (node.isCoolingDown) badges.appendChild(badge('cooling down', 'cooling'));
    if (node.isRuntimeUp === false) badges.appendChild(badge('runtime down', 'down'));
    state.appendChild(badges);
    row.appendChild(state);

    var gpus = cell('GPUs');
    if (node.gpus.length === 0) gpus.appendChild(el('span', 'none', 'CPU only'));
    else {
      var list = el('div');
      for (var i = 0; i < node.gpus.length; i++) list.appendChild(gpuBlock(node.gpus[i]));
      gpus.appendChild(list);
    }
    row.appendChild(gpus);

    var score = cell('Score', 'score');
    score.textContent = String(Math.round(node.computeScore * 10) / 10);
    row.appendChild(score);
    var inFlight = cell('In flight', 'in-flight');
    inFlight.textContent = node.inFlight + ' / ' + node.maxConcurrency;
    row.appendChild(inFlight);
    var cpu = cell('CPU', 'cpu');
    cpu.textContent = formatPct(node.cpuPct);
    row.appendChild(cpu);
    var memory = cell('Memory', 'memory');
    memory.textContent = formatPct(node.memoryPct);
    row.appendChild(memory);
    var seen = cell('Last seen', 'last-seen');
    seen.textContent = formatAgo(node.lastSeenAgoMs);
    row.appendChild(seen);
    return row;
  }

  function decisionRow(decision) {
    var row = el('tr');
    var time = cell('Time');
    time.textContent = new Date(decision.atMs).toLocaleTimeString();
    row.appendChild(time);
    var model = cell('Model', 'model');
    model.textContent = decision.model;
    row.appendChild(model);
    var node = cell('Node', 'node');
    node.textContent = decision.node === null ? '–' : decision.node;
    row.appendChild(node);
    var reason = cell('Reason', 'reason');
    reason.textContent = decision.reason + (decision.retries > 0 ? ' (after ' + decision.retries + ' failover' + (decision.retries === 1 ? ')' : 's)') : '');
    row.appendChild(reason);
    var status = cell('Status');
    status.appendChild(badge(String(decision.status), 's' + Math.floor(decision.status / 100)));
    row.appendChild(status);
    var duration = cell('Duration', 'duration');
    duration.textContent = formatMs(decision.totalMs);
    if (decision.ttfbMs !== null) duration.title = 'first byte after ' + formatMs(decision.ttfbMs);
    row.appendChild(duration);
    return row;
  }

  function drawChart(svg, values) {
    var width = 600, height = 100, top = 6;
    var max = 0;
    for (var i = 0; i < values.length; i++) if (values[i] !== null && values[i] > max) max = values[i];
    var scale = max > 0 ? (height - top) / max : 0;
    var step = values.length > 1 ? width / (values.length - 1) : width;
    var children = [
      svgEl('line', { x1: 0, x2: width, y1: top, y2: top, class: 'grid-line' }),
      svgEl('line', { x1: 0, x2: width, y1: (height + top) / 2, y2: (height + top) / 2, class: 'grid-line' }),
    ];
    // One path per run of known values: a gap in the data stays a gap in the line.
    var line = '', area = '', runStart = -1;
    function closeRun(end) {
      if (runStart < 0) return;
      area += ' L' + (end * step).toFixed(1) + ' ' + height + ' L' + (runStart * step).toFixed(1) + ' ' + height + ' Z';
      runStart = -1;
    }
    for (var index = 0; index < values.length; index++) {
      var value = values[index];
      if (value === null) { closeRun(index - 1); continue; }
      var x = (index * step).toFixed(1), y = (height - value * scale).toFixed(1);
      if (runStart < 0) {
        runStart = index;
        line += ' M' + x + ' ' + y;
        area += ' M' + x + ' ' + y;
      } else {
        line += ' L' + x + ' ' + y;
        area += ' L' + x + ' ' + y;
      }
    }
    closeRun(values.length - 1);
    // A lone known value has no line to draw: mark it with a dot.
    for (var dot = 0; dot < values.length; dot++) {
      var isAlone = values[dot] !== null && (dot === 0 || values[dot - 1] === null) && (dot === values.length - 1 || values[dot + 1] === null);
      if (isAlone) children.push(svgEl('line', { x1: dot * step, x2: dot * step, y1: height - values[dot] * scale, y2: height, class: 'line' }));
    }
    if (line !== '') {
      children.push(svgEl('path', { d: area, class: 'area' }));
      children.push(svgEl('path', { d: line, class: 'line' }));
    }
    svg.replaceChildren.apply(svg, children);
    return max;
  }

  function agentCommand(isTokenRequired) {
    return 'COORDINATOR_URL=' + location.origin +
      (isTokenRequired ? ' AGENT_TOKEN=<the coordinator\'s AGENT_TOKEN>' : '') +
      ' RUNTIME_URL=http://127.0.0.1:11434 llm-fleet-agent';
  }

  function render(snapshot) {
    var nodes = snapshot.nodes;
    var counts = { online: 0, stale: 0, draining: 0 };
    var inFlight = 0, capacity = 0;
    for (var i = 0; i < nodes.length; i++) {
      if (counts[nodes[i].state] !== undefined) counts[nodes[i].state]++;
      if (nodes[i].state === 'online') { inFlight += nodes[i].inFlight; capacity += nodes[i].maxConcurrency; }
    }
    byId('stat-online').textContent = counts.online + ' / ' + nodes.length;
    byId('stat-in-flight').textContent = inFlight + ' / ' + capacity;
    var traffic = snapshot.traffic;
    var latest = traffic.length > 0 ? traffic[traffic.length - 1] : null;
    byId('stat-rps').textContent = latest === null ? '–' : formatRate(latest.requestsPerSecond);
    var lastP95 = null;
    for (var t = traffic.length - 1; t >= 0 && t >= traffic.length - 6; t--) {
      if (traffic[t].p95Ms !== null) { lastP95 = traffic[t].p95Ms; break; }
    }
    byId('stat-p95').textContent = formatMs(lastP95);

    var rpsMax = drawChart(byId('chart-rps'), traffic.map(function (point) { return point.requestsPerSecond; }));
    var p95Max = drawChart(byId('chart-p95'), traffic.map(function (point) { return point.p95Ms; }));
    byId('chart-rps-max').textContent = rpsMax > 0 ? 'max ' + formatRate(rpsMax) : '';
    byId('chart-p95-max').textContent = p95Max > 0 ? 'max ' + formatMs(p95Max) : '';

    byId('node-count').textContent = nodes.length > 0 ? '(' + nodes.length + ')' : '';
    byId('empty').hidden = nodes.length > 0;
    byId('nodes').hidden = nodes.length === 0;
    byId('agent-command').textContent = agentCommand(snapshot.isAgentTokenRequired);
    byId('nodes').tBodies[0].replaceChildren.apply(byId('nodes').tBodies[0], nodes.map(nodeRow));

    var decisions = snapshot.decisions;
    byId('no-decisions').hidden = decisions.length > 0;
    byId('decisions').hidden = decisions.length === 0;
    byId('decisions').tBodies[0].replaceChildren.apply(byId('decisions').tBodies[0], decisions.map(decisionRow));
  }

  function connect() {
    if (source !== null) source.close();
    byId('login').hidden = true;
    byId('fleet').hidden = false;
    source = new EventSource('dashboard/events');
    source.onmessage = function (event) {
      setConnection('live', 'live');
      render(JSON.parse(event.data));
    };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        // The stream was refused (a key that no longer works, too many dashboards): start over.
        setConnection('down', 'disconnected, retrying…');
        source.close();
        source = null;
        clearTimeout(retryTimer);
        retryTimer = setTimeout(start, 3000);
      } else {
        setConnection('connecting', 'reconnecting…');
      }
    };
  }

  function showLogin(message) {
    if (source !== null) { source.close(); source = null; }
    byId('fleet').hidden = true;
    byId('login').hidden = false;
    setConnection('down', 'API key needed');
    var error = byId('login-error');
    error.hidden = !message;
    error.textContent = message || '';
    byId('login-key').focus();
  }

  function start() {
    fetch('dashboard/session', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) throw new Error('status ' + response.status);
        return response.json();
      })
      .then(function (session) {
        if (session.isAuthorized) connect();
        else showLogin('');
      })
      .catch(function () {
        setConnection('down', 'coordinator unreachable, retrying…');
        clearTimeout(retryTimer);
        retryTimer = setTimeout(start, 3000);
      });
  }

  function onLogin(event) {
    event.preventDefault();
    var key = byId('login-key').value.trim();
    if (key === '') return;
    fetch('dashboard/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { authorization: 'Bearer ' + key },
    }).then(function (response) {
      if (response.ok) {
        byId('login-key').value = '';
        connect();
      } else {
        showLogin(response.status === 401 ? 'That key is not one of API_KEYS.' : 'The coordinator answered ' + response.status + '.');
      }
    }, function () {
      showLogin('The coordinator is unreachable.');
    });
  }

  byId('login-form').addEventListener('submit', onLogin);
  start();
})();
`
