import { randomBytes } from 'node:crypto';
import { HttpError } from './errors.js';
import type { Route } from './router.js';

/**
 * `GET /`: a small static page linking the gateway routes, listing sessions and showing the
 * live event feed. It reads the token from `#token=...`, keeps it in sessionStorage and removes
 * it from the address bar (history.replaceState). Its one inline script runs under a per-response
 * CSP nonce; everything it renders goes through textContent. The page itself holds no data,
 * so it is served without a token even when every other route needs one.
 */
export function pageRoute(): Route {
  return {
    path: '/',
    methods: {
      GET: ({ res, query }) => {
        if ([...query.keys()].length > 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'this route takes no query parameters');
        const nonce = randomBytes(16).toString('base64');
        const html = PAGE_HTML.replace('__NONCE__', nonce);
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Length': Buffer.byteLength(html),
          'Cache-Control': 'no-store',
          'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
          'Referrer-Policy': 'no-referrer',
          'X-Frame-Options': 'DENY',
        });
        res.end(html);
      },
    },
    auth: 'open',
  };
}

const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mcpscope</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
code,pre{font:12px ui-monospace,monospace}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}
#feed{max-height:24rem;overflow:auto;background:#f6f6f6;padding:.5rem}
.err{color:#b00}
</style></head>
<body>
<h1>mcpscope</h1>
<p>Routes: <a href="/_inspector/health">/_inspector/health</a> ·
<a href="/_inspector/sessions">/_inspector/sessions</a> ·
<code>/_inspector/trace/{session_id}</code> (NDJSON, Range, ETag) ·
<code>/_inspector/trace/{session_id}.jsonl.gz</code> ·
<code>/_inspector/events</code> (SSE) ·
<code>POST /_inspector/signal/{session_id}</code> ·
<code>POST /_inspector/cancel/{session_id}</code> ·
<code>/mcp</code> (MCP Streamable HTTP)</p>
<p id="status"></p>
<h2>Sessions</h2>
<table><thead><tr><th>id</th><th>title</th><th>engine</th><th>status</th><th>started</th><th>spans</th><th>errors</th></tr></thead>
<tbody id="sessions"></tbody></table>
<h2>Live events</h2>
<pre id="feed"></pre>
<script nonce="__NONCE__">
(function () {
  var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem('inspectorToken', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  var token = sessionStorage.getItem('inspectorToken');
  var headers = token ? { 'X-Inspector-Token': token } : {};
  var status = document.getElementById('status');
  function show(text, isError) { status.textContent = text; status.className = isError ? 'err' : ''; }

  function cell(row, text) { var td = document.createElement('td'); td.textContent = text == null ? '' : String(text); row.appendChild(td); return td; }
  function loadSessions() {
    fetch('/_inspector/sessions?limit=100', { headers: headers }).then(function (r) {
      if (!r.ok) throw new Error('sessions: HTTP ' + r.status);
      return r.json();
    }).then(function (body) {
      var tbody = document.getElementById('sessions');
      tbody.textContent = '';
      body.sessions.forEach(function (s) {
        var row = document.createElement('tr');
        var link = document.createElement('a');
        link.href = '/_inspector/trace/' + encodeURIComponent(s.id);
        link.textContent = s.id;
        cell(row, '').appendChild(link);
        cell(row, s.title); cell(row, s.engine); cell(row, s.status + (s.waiting_on ? ' (' + s.waiting_on + ')' : ''));
        cell(row, s.started_at); cell(row, s.span_count); cell(row, s.error_count);
        tbody.appendChild(row);
      });
    }).catch(function (e) { show(String(e.message || e), true); });
  }

  var feed = document.getElementById('feed');
  var lastId = '';
  function append(line) {
    feed.textContent += line + '\\n';
    var lines = feed.textContent.split('\\n');
    if (lines.length > 500) feed.textContent = lines.slice(-500).join('\\n');
    feed.scrollTop = feed.scrollHeight;
  }
  function handle(block) {
    var ev = { event: 'message', data: '', id: null };
    block.split('\\n').forEach(function (line) {
      if (line === '' || line[0] === ':') return;
      var i = line.indexOf(':');
      var field = i < 0 ? line : line.slice(0, i);
      var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'data') ev.data += (ev.data ? '\\n' : '') + value;
      else if (field === 'event') ev.event = value;
      else if (field === 'id') ev.id = value;
    });
    if (ev.id !== null) lastId = ev.id;
    if (ev.data) { append(ev.event + ' ' + ev.data); scheduleReload(); }
  }
  var reloadTimer = null;
  function scheduleReload() {
    if (reloadTimer) return;
    reloadTimer = setTimeout(function () { reloadTimer = null; loadSessions(); }, 500);
  }
  // fetch instead of EventSource, so the token can travel in a header when it is required.
  function connect() {
    var h = Object.assign({ Accept: 'text/event-stream' }, headers);
    if (lastId) h['Last-Event-ID'] = lastId;
    fetch('/_inspector/events', { headers: h }).then(function (r) {
      if (!r.ok || !r.body) throw new Error('events: HTTP ' + r.status);
      show('live', false);
      var reader = r.body.getReader();
      var decoder = new TextDecoder();
      var buffer = '';
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error('event stream ended');
          buffer += decoder.decode(chunk.value, { stream: true }).replace(/\\r\\n?/g, '\\n');
          var at;
          while ((at = buffer.indexOf('\\n\\n')) >= 0) { handle(buffer.slice(0, at)); buffer = buffer.slice(at + 2); }
          return pump();
        });
      }
      return pump();
    }).catch(function (e) {
      show(String(e.message || e) + ': reconnecting', true);
      setTimeout(connect, 2000);
    });
  }
  loadSessions();
  connect();
})();
</script>
</body></html>
`;
