// The dashboard: logs in, opens the live stream (Server-Sent Events, with a short-lived ticket, since an
// EventSource cannot send an Authorization header), draws what each snapshot holds, and drives the API
// for strategy and risk controls. Plain DOM, no framework, no build step; text goes in as textContent.
const $ = (sel) => document.querySelector(sel);
const rupees = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR', minimumFractionDigits: 2, maximumFractionDigits: 2 });
let tokens = JSON.parse(sessionStorage.getItem('alpha-panda-tokens') || 'null');
let stream;
let strategies = [];
let last;
let refresher;
let reconnecting;
/** The events that belong to a signal's chain (a click opens it). */
const CHAIN_EVENTS = new Set(['trading_signal', 'rejected_signal', 'order_placed', 'order_filled', 'order_failed']);

function keep(t) {
  tokens = t;
  if (t) sessionStorage.setItem('alpha-panda-tokens', JSON.stringify(t));
  else sessionStorage.removeItem('alpha-panda-tokens');
}

/** Calls the API with the access token; refreshes it once when it has expired. */
async function api(method, path, body) {
  const call = () => fetch(path, { method, headers: { authorization: `Bearer ${tokens?.access_token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  let res = await call();
  if (res.status === 401 && tokens?.refresh_token) {
    const r = await fetch('/api/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: tokens.refresh_token }) });
    if (r.ok) {
      keep(await r.json());
      res = await call();
    }
  }
  if (res.status === 401) {
    showLogin('your session ended: log in again');
    throw new Error('not logged in');
  }
  const answer = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(answer?.detail ?? `${res.status}`);
  return answer;
}

/** Local time of day, as the rest of the page shows it; with milliseconds for a chain's hops. */
function time(iso, ms = false) {
  return new Date(iso).toLocaleTimeString([], { hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit', ...(ms ? { fractionalSecondDigits: 3 } : {}) });
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function money(n, td) {
  td.textContent = rupees.format(n);
  td.classList.add('num', n > 0 ? 'up' : n < 0 ? 'down' : 'flat');
}

function rows(table, items, fill) {
  const body = $(`${table} tbody`);
  body.replaceChildren(...items.map((item) => {
    const tr = document.createElement('tr');
    fill(tr, item);
    return tr;
  }));
}

function drawNamespaces(a) {
  const host = $('#namespaces');
  host.replaceChildren(...a.totals.map((t) => {
    const card = document.createElement('div');
    card.className = 'card';
    card.dataset.testid = `namespace-${t.namespace}`;
    const risk = a.risk.find((r) => r.namespace === t.namespace);
    const h = document.createElement('h2');
    h.textContent = t.namespace === 'paper' ? 'paper' : `live (${t.namespace})`;
    const pnl = document.createElement('div');
    pnl.dataset.testid = `pnl-${t.namespace}`;
    pnl.className = 'pnl';
    money(t.net, pnl);
    const counts = document.createElement('div');
    counts.textContent = `signals ${t.signals} · fills ${t.fills} · rejected ${t.rejected} · failed ${t.failed} · cash ${rupees.format(t.cash)}`;
    const state = document.createElement('div');
    state.dataset.testid = `state-${t.namespace}`;
    state.className = `state-${risk?.state ?? t.state}`;
    const by = risk?.last_command && risk.state !== 'ACTIVE' ? ` (${risk.last_command.command} by ${risk.last_command.operator}${risk.last_command.reason ? `: ${risk.last_command.reason}` : ''})` : '';
    state.textContent = risk ? `${risk.state}${by} · loss today at risk's last prices ${rupees.format(risk.loss_today)} of ${rupees.format(risk.daily_loss_limit)}` : t.state;
    card.append(h, pnl, counts, state);
    if (risk) {
      for (const command of ['halt', 'reduce', 'resume']) {
        const b = document.createElement('button');
        b.textContent = command.toUpperCase();
        b.dataset.testid = `${command}-${t.namespace}`;
        b.onclick = () => {
          if (command !== 'resume' && !confirm(`${command.toUpperCase()} ${t.namespace}? ${command === 'halt' ? 'No order passes' : 'Only orders that reduce a position pass'} until an operator resumes.`)) return;
          act(() => api('POST', `/api/risk/${t.namespace}/${command}`, { reason: 'from the dashboard' }));
        };
        card.append(b, ' ');
      }
    }
    return card;
  }));
}

function netOf(a, ns, id) {
  return a.strategies.find((s) => s.namespace === ns && s.strategy === id)?.net;
}

function drawStrategies(a) {
  rows('#strategies', strategies, (tr, s) => {
    tr.dataset.testid = `strategy-${s.id}`;
    cell(tr, s.id);
    cell(tr, s.type);
    cell(tr, s.symbols.join(', '));
    cell(tr, s.active ? 'yes' : 'no').dataset.testid = 'enabled';
    cell(tr, s.live ? 'yes' : 'no');
    const paper = netOf(a, 'paper', s.id);
    const live = netOf(a, 'zerodha', s.id);
    paper === undefined ? cell(tr, '') : money(paper, cell(tr, ''));
    live === undefined ? cell(tr, '') : money(live, cell(tr, ''));
    const td = cell(tr, '');
    const toggle = document.createElement('button');
    toggle.textContent = s.active ? 'disable' : 'enable';
    toggle.dataset.testid = 'toggle';
    toggle.onclick = () => act(async () => {
      await api('POST', `/api/strategies/${encodeURIComponent(s.id)}/${s.active ? 'disable' : 'enable'}`);
      await loadStrategies();
    });
    const live2 = document.createElement('button');
    live2.textContent = s.live ? 'live off' : 'live on';
    live2.onclick = () => {
      if (!s.live && !confirm(`Trade ${s.id} live with real money as well as on paper?`)) return;
      act(async () => {
        await api('PUT', `/api/strategies/${encodeURIComponent(s.id)}/live`, { on: !s.live });
        await loadStrategies();
      });
    };
    td.append(toggle, ' ', live2);
  });
}

function draw(a) {
  last = a;
  const states = a.risk.filter((r) => r.state !== 'ACTIVE').map((r) => `${r.namespace} ${r.state}`);
  $('#status').textContent = `${a.phase} · ticks ${a.ticks} · ${time(a.at)}${states.length ? ` · ${states.join(', ')}` : ''}`;
  drawNamespaces(a);
  drawStrategies(a);
  rows('#positions', a.positions, (tr, p) => {
    cell(tr, p.namespace);
    cell(tr, p.strategy);
    cell(tr, p.instrument);
    cell(tr, String(p.quantity), 'num');
  });
  const rejections = Object.entries(a.rejections).flatMap(([ns, byCode]) => Object.entries(byCode).map(([code, n]) => ({ ns, code, n })));
  rows('#rejections', rejections, (tr, r) => {
    cell(tr, r.ns);
    cell(tr, r.code);
    cell(tr, String(r.n), 'num');
  });
  rows('#recent', [...a.recent].reverse(), (tr, e) => {
    tr.dataset.testid = `event-${e.type}`;
    if (CHAIN_EVENTS.has(e.type)) {
      tr.className = 'clickable';
      tr.dataset.correlation = e.correlation_id;
      tr.onclick = () => openChain(e.correlation_id);
    }
    cell(tr, time(e.ts));
    cell(tr, e.namespace);
    cell(tr, e.type.replace('_', ' '));
    cell(tr, e.strategy_id);
    cell(tr, e.instrument ?? '');
    cell(tr, e.side);
    cell(tr, e.quantity === null ? '' : String(e.quantity), 'num');
    cell(tr, e.price === null ? '' : e.price.toFixed(2), 'num');
    cell(tr, e.reason_code);
  });
}

async function openChain(id) {
  const chain = await act(() => api('GET', `/api/chains/${id}`));
  if (!chain) return;
  $('#chain').hidden = false;
  const what = chain.strategyId ? `${chain.strategyId}: ${chain.side} ${chain.quantity} (${id})` : id;
  $('#chain-id').textContent = what;
  const link = $('#chain-trace');
  link.hidden = !chain.traceUrl;
  if (chain.traceUrl) link.href = chain.traceUrl;
  // One chain per namespace the signal reached: paper beside live.
  const hops = chain.namespaces.flatMap((n) => n.hops.map((h) => ({ ...h, namespace: n.namespace })));
  rows('#chain', hops, (tr, h) => {
    tr.dataset.testid = `hop-${h.type}`;
    cell(tr, h.type.replace('_', ' '));
    cell(tr, h.namespace);
    cell(tr, h.ts ? time(h.ts, true) : '');
    cell(tr, h.sincePreviousMs === null ? '' : String(h.sincePreviousMs), 'num');
    cell(tr, h.sinceSignalMs === null ? '' : String(h.sinceSignalMs), 'num');
    cell(tr, h.detail);
  });
}

async function act(fn) {
  $('#action-error').textContent = '';
  try {
    return await fn();
  } catch (e) {
    $('#action-error').textContent = e.message;
    return undefined;
  }
}

async function loadStrategies() {
  try {
    strategies = (await api('GET', '/api/strategies')).strategies;
  } catch {
    strategies = [];
  }
  if (last) drawStrategies(last);
}

async function connect() {
  stream?.close();
  let ticket;
  try {
    ({ ticket } = await api('POST', '/api/auth/stream-ticket'));
  } catch (e) {
    // The server is away (a restart): keep trying until it is back or the session has ended.
    if (tokens) retry();
    return;
  }
  stream = new EventSource(`/api/stream?ticket=${encodeURIComponent(ticket)}`);
  stream.addEventListener('activity', (m) => draw(JSON.parse(m.data)));
  // The ticket is short-lived: a dropped stream reconnects with a new one.
  stream.onerror = () => {
    stream.close();
    retry();
  };
}

function retry() {
  $('#status').textContent = 'reconnecting...';
  clearTimeout(reconnecting);
  reconnecting = setTimeout(() => connect(), 2000);
}

function showLogin(message) {
  stream?.close();
  clearTimeout(reconnecting);
  clearInterval(refresher);
  refresher = undefined;
  keep(null);
  $('#board').hidden = true;
  $('#logout').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message ?? '';
}

async function start() {
  $('#login').hidden = true;
  $('#board').hidden = false;
  $('#logout').hidden = false;
  await loadStrategies();
  await connect();
  refresher ??= setInterval(() => loadStrategies(), 5000);
}

$('#login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const res = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: form.get('username'), password: form.get('password') }) });
  const answer = await res.json();
  if (!res.ok) {
    $('#login-error').textContent = answer.detail;
    return;
  }
  keep(answer);
  await start();
});
$('#logout').onclick = () => showLogin();
$('#chain-close').onclick = () => ($('#chain').hidden = true);

if (tokens) start().catch(() => showLogin());
else showLogin();
