/**
 * The dashboard page and its script, served from the package itself (nothing from a CDN; the page works offline).
 * The script only polls the dashboard's JSON API once a second and swaps in the panels the server drew; every text
 * it writes itself goes through textContent, and the page's Content-Security-Policy allows no other script.
 */

/** How often the page asks for changes, in ms. */
export const POLL_MS = 1000;

export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>toolken dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#222;line-height:1.4;display:flex;min-height:100vh}
nav{width:300px;flex:none;background:#f6f7f9;border-right:1px solid #ddd;padding:12px;box-sizing:border-box;overflow-y:auto;max-height:100vh;position:sticky;top:0}
nav h1{font-size:18px;margin:0 0 8px}nav h2{font-size:13px;text-transform:uppercase;color:#666;margin:16px 0 4px}
nav ul{list-style:none;margin:0;padding:0}nav li{display:flex;align-items:center;gap:6px;padding:3px 0}
nav button.run{flex:1;text-align:left;background:none;border:1px solid transparent;border-radius:4px;padding:3px 6px;cursor:pointer;font:inherit;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
nav button.run:hover{background:#e8ecf3}nav button.run[aria-current=true]{background:#dde6f5;border-color:#9db3d9}
main{flex:1;padding:16px 24px;min-width:0}
.badge{display:inline-block;font-size:11px;padding:1px 6px;border-radius:8px;color:white}.badge.live{background:#2e8b57}.badge.idle{background:#888}
.dot{width:8px;height:8px;border-radius:50%;flex:none;background:#bbb}.dot.live{background:#2e8b57}
.charts{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0}svg{max-width:100%;height:auto}
table{border-collapse:collapse;margin:0.6em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 8px}th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.problems{background:#fff4e5;border:1px solid #f0b45b;padding:6px 6px 6px 24px;font-size:13px}
#banner{background:#fde2e1;border:1px solid #e0807a;padding:6px 10px;margin-bottom:10px}#banner:empty{display:none}
.path{color:#777;font-size:12px;margin-top:-8px}h1{font-size:22px}h2{font-size:16px;margin-top:1.2em}
.empty{color:#777}
#playground textarea{width:100%;max-width:720px;height:70px;font:inherit;box-sizing:border-box}#playground label{margin-right:10px}
</style></head>
<body>
<nav>
<h1>toolken</h1>
<button class="run" id="show-server" hidden>server</button>
<button class="run" id="show-playground" hidden>playground</button>
<h2>runs</h2>
<ul id="runs"></ul>
<p id="compare-hint" style="font-size:12px;color:#666">Tick two or more runs to compare them.</p>
<ul id="root-problems" class="problems" hidden></ul>
</nav>
<main>
<div id="banner" role="alert"></div>
<div id="view"><p class="empty">Loading…</p></div>
</main>
<script src="/dashboard/app.js"></script>
</body></html>
`;

export const DASHBOARD_SCRIPT = `'use strict';
(() => {
  const view = document.getElementById('view');
  const banner = document.getElementById('banner');
  const list = document.getElementById('runs');
  const rootProblems = document.getElementById('root-problems');
  const serverButton = document.getElementById('show-server');
  const playgroundButton = document.getElementById('show-playground');
  const state = { selected: null, compare: new Set(), shown: '', listed: '', busy: false };

  const getJson = async (url) => {
    const res = await fetch(url, { cache: 'no-store' });
    const body = await res.json();
    if (!res.ok) throw new Error(body && body.error ? body.error.message : url + ': HTTP ' + res.status);
    return body;
  };

  const select = (kind, id) => {
    state.selected = { kind, id };
    state.shown = '';
    void tick();
  };
  serverButton.addEventListener('click', () => select('server', null));
  playgroundButton.addEventListener('click', () => select('playground', null));

  /** The playground's form, built once; its answer is the server's fragment. */
  const playgroundView = () => {
    const form = document.createElement('form');
    form.id = 'playground';
    const heading = document.createElement('h1');
    heading.textContent = 'Playground';
    const request = document.createElement('textarea');
    request.name = 'request';
    request.placeholder = 'Type a request, e.g. "convert 30 degrees Celsius to Fahrenheit"';
    request.maxLength = 2000;
    const kLabel = document.createElement('label');
    kLabel.textContent = 'top k ';
    const k = document.createElement('input');
    k.type = 'number';
    k.name = 'k';
    k.min = '1';
    k.max = '20';
    k.value = '5';
    kLabel.append(k);
    const ask = document.createElement('button');
    ask.type = 'submit';
    ask.textContent = 'Ask';
    const answer = document.createElement('div');
    answer.id = 'playground-answer';
    form.append(heading, request, document.createElement('br'), kLabel, ask, answer);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      ask.disabled = true;
      answer.textContent = 'Thinking…';
      try {
        const res = await fetch('/dashboard/api/playground', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ request: request.value, k: Number(k.value) }),
        });
        const body = await res.json();
        if (!res.ok) throw new Error(body && body.error ? body.error.message : 'HTTP ' + res.status);
        answer.innerHTML = body.html;
      } catch (err) {
        const p = document.createElement('p');
        p.className = 'problems';
        p.textContent = err && err.message ? err.message : String(err);
        answer.replaceChildren(p);
      } finally {
        ask.disabled = false;
      }
    });
    return form;
  };

  const renderList = (runs) => {
    // Rebuilt only when something in it changed, so a click is never lost to a rebuild under the pointer.
    const signature = JSON.stringify([runs.map((r) => [r.id, r.name, r.live, r.lastStep]), state.selected, [...state.compare]]);
    if (signature === state.listed) return;
    state.listed = signature;
    const lastNames = new Map();
    for (const run of runs) {
      const last = run.name.split('/').at(-1);
      lastNames.set(last, (lastNames.get(last) || 0) + 1);
    }
    const items = runs.map((run) => {
      const li = document.createElement('li');
      const dot = document.createElement('span');
      dot.className = 'dot' + (run.live ? ' live' : '');
      dot.title = run.live ? 'training' : 'idle';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.title = 'compare';
      box.dataset.compare = String(run.id);
      box.checked = state.compare.has(run.id);
      box.addEventListener('change', () => {
        if (box.checked) state.compare.add(run.id); else state.compare.delete(run.id);
        if (state.compare.size >= 2) select('compare', null);
        else if (state.selected && state.selected.kind === 'compare') select('run', run.id);
      });
      const button = document.createElement('button');
      button.className = 'run';
      button.dataset.run = String(run.id);
      // The run's own folder name, or its last two parts where that is not unique; the whole path is the tooltip.
      const parts = run.name.split('/');
      const short = lastNames.get(parts.at(-1)) > 1 ? parts.slice(-2).join('/') : parts.at(-1);
      button.textContent = short + (run.lastStep === undefined ? '' : ' · ' + run.lastStep);
      button.title = run.path;
      button.setAttribute('aria-current', String(!!state.selected && state.selected.kind === 'run' && state.selected.id === run.id));
      button.addEventListener('click', () => select('run', run.id));
      li.append(dot, box, button);
      return li;
    });
    list.replaceChildren(...items);
  };

  const renderProblems = (problems) => {
    rootProblems.hidden = problems.length === 0;
    rootProblems.replaceChildren(...problems.map((p) => {
      const li = document.createElement('li');
      li.textContent = p;
      return li;
    }));
  };

  const tick = async () => {
    if (state.busy) return;
    state.busy = true;
    try {
      const index = await getJson('/dashboard/api/runs');
      serverButton.hidden = !index.server;
      playgroundButton.hidden = !index.playground;
      const ids = new Set(index.runs.map((r) => r.id));
      for (const id of [...state.compare]) if (!ids.has(id)) state.compare.delete(id);
      if (state.selected === null) {
        if (index.runs.length > 0) state.selected = { kind: 'run', id: index.runs[0].id };
        else if (index.server) state.selected = { kind: 'server', id: null };
        else if (index.playground) state.selected = { kind: 'playground', id: null };
      }
      renderList(index.runs);
      renderProblems(index.problems);
      const sel = state.selected;
      let key = '';
      let url = '';
      if (sel === null) {
        if (state.shown !== 'none') {
          const p = document.createElement('p');
          p.className = 'empty';
          p.textContent = 'No run directories to show: start the dashboard with the folders of your runs.';
          view.replaceChildren(p);
          state.shown = 'none';
        }
      } else if (sel.kind === 'run') {
        const run = index.runs.find((r) => r.id === sel.id);
        key = 'run:' + sel.id + ':' + (run ? run.version : 'gone');
        url = '/dashboard/api/runs/' + sel.id;
      } else if (sel.kind === 'compare') {
        const chosen = index.runs.filter((r) => state.compare.has(r.id));
        key = 'compare:' + chosen.map((r) => r.id + '@' + r.version).join(',');
        url = '/dashboard/api/compare?runs=' + chosen.map((r) => r.id).join(',');
      } else if (sel.kind === 'playground') {
        if (state.shown !== 'playground') {
          view.replaceChildren(playgroundView());
          state.shown = 'playground';
        }
      } else {
        key = 'server:' + Date.now();
        url = '/dashboard/api/server';
      }
      if (url !== '' && key !== state.shown) {
        const panel = await getJson(url);
        // The fragment was drawn and escaped by the server; the page's policy runs no script inside it.
        view.innerHTML = panel.html;
        state.shown = key;
      }
      banner.textContent = '';
    } catch (err) {
      banner.textContent = 'The dashboard could not refresh: ' + (err && err.message ? err.message : String(err)) + '. It keeps trying.';
    } finally {
      state.busy = false;
    }
  };

  void tick();
  setInterval(() => void tick(), ${POLL_MS});
})();
`;
