// reclaim's page: choose a backup, follow the scan, browse every kind, search, select and recover.
// Everything from the case is put on the page as text (textContent), never as HTML; notes' HTML
// is shown in a sandboxed iframe served with its own restrictive policy.

const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const $ = (sel, root = document) => root.querySelector(sel);
const S = {
  kinds: [], kindMap: {}, formats: [], source: null, onlyDeleted: false,
  sel: {}, view: null, loaders: { list: [], detail: [] }, galleryItems: [],
  links: null, linksOnlyDangerous: false, afterScan: null,
};

// ---------------------------------------------------------------------------------------- helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

async function api(path, { method = 'GET', body } = {}) {
  const options = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') {
    options.headers['X-Reclaim-CSRF'] = CSRF;
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body || {});
  }
  const res = await fetch(path, options);
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    const err = new Error((data && (data.error || data.detail)) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    err.data = data;
    throw err;
  }
  return data;
}

function qs(params) {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') out.set(k, v);
  const text = out.toString();
  return text ? `?${text}` : '';
}

function toast(message, bad = false) {
  const el = $('#toast');
  el.textContent = message;
  el.classList.toggle('bad', bad);
  el.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove('show'), 5000);
}

const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const shortFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const monthFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long' });
const monthKey = (iso) => (iso ? iso.slice(0, 7) : 'undated');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;
const asDate = (iso) => (iso ? new Date(iso) : null);
const dayKey = (iso) => (iso ? new Date(iso).toDateString() : 'undated');
const fmtDay = (iso) => (iso ? dayFmt.format(new Date(iso)) : 'Without a date');
const fmtTime = (iso) => (iso ? timeFmt.format(new Date(iso)) : '');
const fmtShort = (iso) => (iso ? shortFmt.format(new Date(iso)) : '');
const fmtFull = (iso) => (iso ? fullFmt.format(new Date(iso)) : '');
const num = (n) => Number(n || 0).toLocaleString();
const plural = (n, word) => `${num(n)} ${word}${Number(n) === 1 ? '' : 's'}`;

function fmtSize(bytes) {
  if (!bytes) return '';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = bytes;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i += 1; }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

const humanize = (name) => name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
const isMedia = (v) => v && typeof v === 'object' && 'sha256' in v && 'mime' in v && 'missing' in v;
const initials = (name) => (String(name || '?').trim().split(/\s+/).map((p) => [...p][0] || '').join('').slice(0, 2) || '?').toUpperCase();

function mediaOf(record) {
  const found = [];
  const walk = (value) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (isMedia(value)) found.push(value);
  };
  for (const [key, value] of Object.entries(record)) if (key !== 'provenance') walk(value);
  return found;
}

function shownSha(ref) {
  // A browser-friendly copy (JPEG of a HEIC, WAV of a voice message) when there is one.
  return ref.preview || ref.sha256;
}
const mimeOf = (ref) => (ref.preview ? ref.preview_mime || ref.mime : ref.mime) || '';

function recordTitle(r) {
  for (const key of ['name', 'title', 'subject', 'chat', 'display_name', 'filename', 'text', 'url', 'address']) {
    if (typeof r[key] === 'string' && r[key].trim()) return r[key].trim().slice(0, 140);
  }
  return r.id || 'Record';
}

function badge(text, cls = '') { return h('span', { class: `badge ${cls}`, text }); }
const recoveredBadge = () => badge('Recovered', 'recovered');

// -------------------------------------------------------------------------------------- icons

const ICONS = {
  chat: 'M4 5h16v10H8l-4 4z',
  gallery: 'M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4',
  cards: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 20c1-4 4-6 8-6s7 2 8 6',
  table: 'M4 5h16v14H4zM4 10h16M4 15h16M10 5v14',
  note: 'M6 3h9l4 4v14H6zM9 11h7M9 15h7',
  calendar: 'M4 6h16v14H4zM4 10h16M8 3v5M16 3v5',
  phone: 'M6 3l4 4-2 3a11 11 0 0 0 6 6l3-2 4 4-3 3C10 21 3 14 3 6z',
  link: 'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1',
};

function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name] || ICONS.table);
  svg.append(path);
  return svg;
}

function kindIcon(kind) {
  if (/note/.test(kind.kind)) return icon('note');
  if (/calendar|reminder/.test(kind.kind)) return icon('calendar');
  if (/call|voicemail/.test(kind.kind)) return icon('phone');
  return icon(kind.view);
}

// ---------------------------------------------------------------------------------- selection

function selFor(kind) {
  if (!S.sel[kind]) S.sel[kind] = { rids: new Set(), chats: new Set() };
  return S.sel[kind];
}

function selCount() {
  let n = 0;
  for (const s of Object.values(S.sel)) n += s.rids.size + s.chats.size;
  return n;
}

function updateSelCount() {
  const n = selCount();
  $('#sel-count').textContent = n ? `(${num(n)})` : '';
  $('#recover-open').setAttribute('aria-label', n ? `Recover ${n} selected items` : 'Recover everything');
}

function selectBox(kind, what, value, label) {
  const set = selFor(kind)[what];
  const box = h('input', { type: 'checkbox', class: 'pick', 'aria-label': label });
  box.checked = set.has(value);
  box.addEventListener('click', (e) => e.stopPropagation());
  box.addEventListener('change', () => {
    if (box.checked) set.add(value); else set.delete(value);
    updateSelCount();
  });
  return box;
}

// ------------------------------------------------------------------------------------ screens

function show(screen) {
  for (const el of document.querySelectorAll('.screen')) el.hidden = el.id !== `screen-${screen}`;
  const browsing = screen === 'browse';
  $('#search-form').hidden = !browsing;
  $('#recover-open').hidden = !browsing;
}

function showDevice(src) {
  const el = $('#device');
  el.replaceChildren();
  if (!src) return;
  const parts = [src.device_name || src.name, src.product_type, src.product_version && `iOS ${src.product_version}`];
  el.append(h('strong', { text: parts[0] || '' }), h('span', { text: parts.slice(1).filter(Boolean).join(' · ') }));
}

// -- start: choose a source ----------------------------------------------------------------------

async function startScreen(message = '', preset = null) {
  show('start');
  const root = $('#screen-start');
  const list = h('ul', { class: 'backups', 'aria-busy': 'true' }, h('li', { class: 'muted', text: 'Looking for backups…' }));
  const pathInput = h('input', { id: 'path-input', type: 'text', placeholder: '/path/to/backup or extraction.zip',
    autocomplete: 'off', spellcheck: 'false', value: preset || '' });
  const pwPanel = h('div', { class: 'password', hidden: true });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', text: message });
  const deep = h('input', { type: 'checkbox', id: 'deep-scan' });
  deep.checked = true;
  const open = (path, password) => openSource(path, password, { status, pwPanel, deep });
  root.replaceChildren(h('div', { class: 'start' },
    h('h1', { text: 'Take your data back from your iPhone' }),
    h('p', { class: 'lede', text: 'Choose a backup of your iPhone. reclaim only reads it: nothing is changed, and nothing leaves this computer.' }),
    status,
    pwPanel,
    h('h2', { text: 'Backups on this computer' }),
    list,
    h('h2', { text: 'Or open another backup, extraction or database' }),
    h('form', { class: 'pathform', onsubmit: (e) => { e.preventDefault(); open(pathInput.value.trim()); } },
      h('label', { for: 'path-input', text: 'Location on this computer' }),
      h('div', { class: 'row' }, pathInput, h('button', { class: 'btn primary', type: 'submit', text: 'Open' }))),
    h('label', { class: 'check deep', for: 'deep-scan' }, deep,
      h('span', {}, 'Also recover deleted items ', h('span', { class: 'muted', text: '(a deeper scan: slower on big backups)' }))),
  ));
  if (preset) open(preset);
  try {
    const { backups } = await api('/api/backups');
    list.replaceChildren();
    list.removeAttribute('aria-busy');
    if (!backups.length) {
      list.append(h('li', { class: 'empty', text: 'No backups found in the usual places. Make one with Finder (Mac) or Apple Devices / iTunes (Windows), or type where it is below.' }));
    }
    for (const b of backups) {
      list.append(h('li', {}, h('button', { class: 'backup', type: 'button', onclick: () => open(b.path) },
        h('span', { class: 'avatar', text: initials(b.name) }),
        h('span', { class: 'meta' },
          h('strong', { text: b.name }),
          h('span', { text: [b.product_type, b.product_version && `iOS ${b.product_version}`].filter(Boolean).join(' · ') }),
          h('span', { class: 'muted', text: [b.date && fmtFull(b.date), fmtSize(b.size)].filter(Boolean).join(' · ') })),
        b.encrypted ? badge('Encrypted', 'lock') : badge('Not encrypted', 'plain'))));
    }
  } catch (err) {
    list.replaceChildren(h('li', { class: 'empty', text: `Could not look for backups: ${err.message}` }));
  }
}

async function openSource(path, password, ui) {
  if (!path) { ui.status.textContent = 'Type where the backup is, or choose one above.'; return; }
  ui.status.textContent = password ? 'Unlocking… (this takes a few seconds)' : 'Opening…';
  ui.status.classList.remove('bad');
  try {
    const body = { path, deleted: ui.deep.checked };
    if (password) body.password = password;
    const { source } = await api('/api/open', { method: 'POST', body });
    S.source = source;
    showDevice(source);
    location.hash = '#/scan';
  } catch (err) {
    if (err.data && err.data.needs_password) {
      askPassword(path, err.data.wrong, ui);
      ui.status.textContent = '';
    } else {
      ui.status.textContent = err.message;
      ui.status.classList.add('bad');
    }
  }
}

function askPassword(path, wrong, ui) {
  const input = h('input', { id: 'password-input', type: 'password', autocomplete: 'current-password', required: true });
  ui.pwPanel.hidden = false;
  ui.pwPanel.replaceChildren(h('form', {
    onsubmit: (e) => {
      e.preventDefault();
      const value = input.value;
      input.value = '';
      openSource(path, value, ui);
    },
  },
  h('input', { type: 'text', name: 'username', autocomplete: 'username', value: path, hidden: true, readonly: true }),
  h('h2', { text: 'This backup is encrypted' }),
  wrong ? h('p', { class: 'bad', role: 'alert', text: 'That password does not unlock this backup. Try again.' }) : null,
  h('p', { class: 'muted', text: 'Type the password you chose when you turned on “Encrypt local backup”. It is used once to unlock the backup and is not stored.' }),
  h('label', { for: 'password-input', text: 'Backup password' }),
  h('div', { class: 'row' }, input, h('button', { class: 'btn primary', type: 'submit', text: 'Unlock' })),
  h('p', { class: 'muted small', text: path })));
  input.focus();
}

// -- scan: follow the progress -------------------------------------------------------------------

function scanScreen() {
  show('scan');
  const root = $('#screen-scan');
  const bar = h('progress', { max: 1, value: 0, 'aria-label': 'Overall progress' });
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const list = h('ul', { class: 'progress-list' });
  const cancel = h('button', { class: 'btn', type: 'button', text: 'Cancel scan',
    onclick: async () => { cancel.disabled = true; await api('/api/scan/cancel', { method: 'POST' }); } });
  root.replaceChildren(h('div', { class: 'scan' },
    h('h1', { text: 'Looking through the backup…' }),
    h('p', { class: 'lede', text: 'reclaim reads every kind of data, including deleted records still inside the phone’s databases.' }),
    bar, summary, list, h('div', { class: 'actions' }, cancel)));
  const events = new EventSource('/api/scan/events');
  const rows = {};
  events.onmessage = (e) => {
    const job = JSON.parse(e.data);
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    summary.textContent = `${job.done} of ${job.total} kinds · ${job.seconds} s`;
    for (const k of job.kinds) {
      if (!rows[k.kind]) {
        rows[k.kind] = {
          li: h('li', { class: 'waiting' }),
          count: h('span', { class: 'count' }),
          bar: h('div', { class: 'kbar', role: 'progressbar', 'aria-label': k.title }),
        };
        rows[k.kind].li.append(h('span', { class: 'name', text: k.title }), rows[k.kind].count, rows[k.kind].bar);
        list.append(rows[k.kind].li);
      }
      const row = rows[k.kind];
      row.li.className = k.state;
      row.count.textContent = k.state === 'waiting' ? 'waiting' : (k.state === 'running' && !k.count ? 'looking…' : `${num(k.count)} found`);
      row.bar.setAttribute('aria-valuetext', k.state);
    }
    if (job.state !== 'running') {
      events.close();
      if (job.state === 'done') {
        loadCase().then(() => {
          location.hash = S.afterScan || '#/';
          S.afterScan = null;
          route(true);
        });
      }
      else if (job.state === 'cancelled') startScreen('Scan cancelled.');
      else {
        summary.textContent = `The scan stopped: ${job.error}`;
        summary.classList.add('bad');
        cancel.textContent = 'Back';
        cancel.disabled = false;
        cancel.onclick = () => startScreen();
      }
    }
  };
  events.addEventListener('none', () => { events.close(); startScreen(); });
}

// -- browse ---------------------------------------------------------------------------------------

async function loadCase() {
  const data = await api('/api/case');
  S.kinds = data.kinds;
  S.kindMap = Object.fromEntries(data.kinds.map((k) => [k.kind, k]));
  S.formats = data.formats;
  S.caseSource = data.source;
  S.links = null;
  showDevice(data.source);
  buildSidebar();
  refreshLinks();
}

function buildSidebar() {
  const nav = $('#sidebar');
  const found = S.kinds.filter((k) => k.live + k.deleted > 0);
  const empty = S.kinds.filter((k) => k.live + k.deleted === 0);
  const only = h('input', { type: 'checkbox', id: 'only-deleted' });
  only.checked = S.onlyDeleted;
  only.addEventListener('change', () => { S.onlyDeleted = only.checked; route(); });
  const items = found.map((k) => h('li', {}, h('a', { href: `#/k/${encodeURIComponent(k.kind)}`, class: 'kind', dataset: { kind: k.kind } },
    kindIcon(k), h('span', { class: 'title', text: k.title }),
    h('span', { class: 'n', text: num(k.live + k.deleted) }),
    k.deleted ? h('span', { class: 'del', title: `${k.deleted} recovered`, text: `+${num(k.deleted)}` }) : null)));
  nav.replaceChildren(...[
    h('label', { class: 'toggle' }, only, h('span', { text: 'Only recovered (deleted) items' })),
    h('ul', { class: 'kinds' }, items),
    h('ul', { class: 'kinds checks', 'aria-label': 'Safety check' }, h('li', {}, linksEntry())),
    empty.length ? h('details', { class: 'nothing' }, h('summary', { text: `Nothing found for ${empty.length} more` }),
      h('ul', {}, empty.map((k) => h('li', {}, h('strong', { text: k.title }), h('span', { class: 'muted', text: k.reason || 'none' }))))) : null,
    h('div', { class: 'side-actions' },
      S.source ? h('button', { class: 'link', type: 'button', text: 'Scan again', onclick: async () => {
        try { await api('/api/scan', { method: 'POST' }); location.hash = '#/scan'; } catch (err) { toast(err.message, true); }
      } }) : null,
      h('button', { class: 'link', type: 'button', text: 'Open another backup', onclick: () => { location.hash = '#/start'; } })),
  ].filter(Boolean));
}

function markSidebar(kind) {
  for (const a of document.querySelectorAll('#sidebar a.kind, #sidebar a.links-entry')) {
    if (a.dataset.kind === kind) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

// Infinite-scroll observers, per pane: the list's survive opening an item beside it.
function stopLoaders(group = null) {
  for (const name of group ? [group] : Object.keys(S.loaders)) {
    for (const obs of S.loaders[name]) obs.disconnect();
    S.loaders[name] = [];
  }
}

// Calls load() whenever the sentinel scrolls into view, until load() returns false.
function infinite(container, sentinel, load, group = 'list') {
  let busy = false;
  const obs = new IntersectionObserver(async (entries) => {
    if (!entries.some((e) => e.isIntersecting) || busy) return;
    busy = true;
    try {
      const more = await load();
      if (!more) { obs.disconnect(); sentinel.remove(); }
    } catch (err) { toast(err.message, true); obs.disconnect(); }
    busy = false;
  }, { root: container, rootMargin: '600px' });
  obs.observe(sentinel);
  S.loaders[group].push(obs);
}

function browse(kind, sub, arg) {
  show('browse');
  const browseEl = $('#screen-browse');
  const k = S.kindMap[kind] || S.kinds.find((x) => x.live + x.deleted > 0);
  stopLoaders('detail');
  if (!k) {
    browseEl.className = 'screen browse';
    $('#listpane').replaceChildren(h('div', { class: 'empty-state' }, h('h2', { text: 'Nothing was found in this source' }),
      h('p', { text: 'The list on the left says why for each kind.' })));
    $('#detailpane').replaceChildren();
    return;
  }
  markSidebar(k.kind);
  browseEl.className = `screen browse view-${k.view}${sub ? ' show-detail' : ''}`;
  const same = S.view && S.view.kind === k.kind && S.view.deleted === S.onlyDeleted && S.view.mode === 'kind';
  if (!same) {
    stopLoaders('list');
    S.view = { kind: k.kind, deleted: S.onlyDeleted, mode: 'kind' };
    if (k.view === 'chat') chatList(k);
    else if (k.view === 'gallery') gallery(k);
    else recordList(k);
    $('#detailpane').replaceChildren(h('div', { class: 'empty-state' }, h('p', { class: 'muted', text: k.view === 'chat' ? 'Choose a conversation.' : 'Choose an item to see it here.' })));
  }
  if (sub === 'c') conversation(k, arg);
  else if (sub === 'm') conversationAround(k, Number(arg));
  else if (sub === 'r') detail(k, Number(arg));
}

function paneHead(title, extra) {
  return h('div', { class: 'pane-head' }, h('h2', { text: title }), extra);
}

function backButton() {
  return h('button', { class: 'back', type: 'button', 'aria-label': 'Back to the list', text: '‹ Back',
    onclick: () => { $('#screen-browse').classList.remove('show-detail'); history.back(); } });
}

// -- chats ----------------------------------------------------------------------------------------

function chatList(k) {
  const pane = $('#listpane');
  const ul = h('ul', { class: 'chatlist' });
  const sentinel = h('div', { class: 'sentinel', text: 'Loading…' });
  const filter = h('input', { type: 'search', placeholder: 'Find a conversation', 'aria-label': 'Find a conversation' });
  const countEl = h('span', { class: 'muted' });
  pane.replaceChildren(paneHead(k.title, countEl), h('div', { class: 'pane-tools' }, filter), h('div', { class: 'scroll', id: 'list-scroll' }, ul, sentinel));
  let next = 0;
  const load = async () => {
    const data = await api(`/api/kinds/${encodeURIComponent(k.kind)}/chats${qs({ offset: next, limit: 100, q: filter.value })}`);
    countEl.textContent = plural(data.total, 'conversation');
    for (const c of data.chats) {
      if (S.onlyDeleted && !c.deleted) continue;
      const href = `#/k/${encodeURIComponent(k.kind)}/c/${encodeURIComponent(c.chat_id ?? '')}`;
      ul.append(h('li', { dataset: { chat: c.chat_id ?? '' } },
        selectBox(k.kind, 'chats', c.chat_id, `Select the whole conversation ${c.chat}`),
        h('a', { href, class: 'chat' },
          h('span', { class: 'avatar', text: initials(c.chat) }),
          h('span', { class: 'meta' },
            h('span', { class: 'top' }, h('strong', { text: c.chat }), h('time', { datetime: c.last || '', text: fmtShort(c.last) })),
            h('span', { class: 'last', text: c.last_text || c.last || '' }),
            h('span', { class: 'sub' }, plural(c.messages, 'message'), c.deleted ? badge(`${num(c.deleted)} recovered`, 'recovered') : null)))));
    }
    if (data.next === null) return false;
    next = data.next;
    return true;
  };
  let timer = null;
  filter.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { S.view = null; chatListReload(k, filter.value); }, 250);
  });
  infinite($('#list-scroll'), sentinel, load);
}

function chatListReload(k, text) {
  chatList(k);
  const input = $('#listpane .pane-tools input');
  input.value = text;
  input.focus();
  S.view = { kind: k.kind, deleted: S.onlyDeleted, mode: 'kind' };
}

function isGroup(messages, chatName) {
  const senders = new Set(messages.filter((m) => m.direction === 'incoming').map((m) => m.sender));
  return senders.size > 1 || [...senders].some((s) => s && s !== chatName);
}

async function conversation(k, chatId, aroundRid = null) {
  stopLoaders('detail');
  const pane = $('#detailpane');
  for (const li of document.querySelectorAll('.chatlist li')) li.classList.toggle('active', li.dataset.chat === chatId);
  const thread = h('div', { class: 'thread', role: 'log', 'aria-label': 'Messages' });
  const scroller = h('div', { class: 'scroll thread-scroll' }, thread);
  const title = h('h2', { text: '…' });
  const selectToggle = h('button', { class: 'btn small', type: 'button', 'aria-pressed': 'false', text: 'Select',
    title: 'Tick single messages to recover',
    onclick: () => {
      const on = thread.classList.toggle('selecting');
      selectToggle.setAttribute('aria-pressed', String(on));
      selectToggle.textContent = on ? 'Done' : 'Select';
    } });
  const sub = h('span', { class: 'muted' });
  pane.replaceChildren(h('div', { class: 'conv-head' }, backButton(), h('div', { class: 'who' }, title, sub),
    selectBox(k.kind, 'chats', chatId, 'Select the whole conversation'), selectToggle), scroller);
  const url = aroundRid
    ? `/api/records/${aroundRid}/around${qs({ limit: 80 })}`
    : `/api/kinds/${encodeURIComponent(k.kind)}/records${qs({ chat: chatId, limit: 80, deleted: S.onlyDeleted ? 1 : null })}`;
  const data = await api(url);
  const messages = aroundRid ? data.items : data.items.slice().reverse();
  const chatName = (messages.find((m) => m.chat) || {}).chat || chatId;
  title.textContent = chatName;
  const group = isGroup(messages, chatName);
  sub.textContent = group ? 'Group conversation' : '';
  let older = data.older;
  const top = h('div', { class: 'sentinel top' });
  const render = (list, prepend) => {
    const frag = document.createDocumentFragment();
    let prev = null;
    for (const m of list) { frag.append(...bubble(k, m, prev, group)); prev = m; }
    if (prepend) {
      const before = scroller.scrollHeight;
      thread.insertBefore(frag, top.nextSibling);
      scroller.scrollTop += scroller.scrollHeight - before;
    } else thread.append(frag);
  };
  thread.append(top);
  render(messages, false);
  if (aroundRid) {
    const target = thread.querySelector(`[data-rid="${aroundRid}"]`);
    if (target) { target.classList.add('hit'); target.scrollIntoView({ block: 'center' }); }
  } else scroller.scrollTop = scroller.scrollHeight;
  let newer = aroundRid ? data.newer : null;
  if (older) {
    infinite(scroller, top, async () => {
      const page = await api(`/api/kinds/${encodeURIComponent(k.kind)}/records${qs({ chat: chatId, before: older, limit: 80, deleted: S.onlyDeleted ? 1 : null })}`);
      render(page.items.slice().reverse(), true);
      older = page.older;
      if (!older) top.remove();
      return Boolean(older);
    }, 'detail');
  } else top.remove();
  if (newer) {
    const bottom = h('div', { class: 'sentinel' });
    thread.append(bottom);
    infinite(scroller, bottom, async () => {
      const page = await api(`/api/kinds/${encodeURIComponent(k.kind)}/records${qs({ chat: chatId, after: newer, limit: 80 })}`);
      const frag = document.createDocumentFragment();
      for (const m of page.items) frag.append(...bubble(k, m, null, group));
      thread.insertBefore(frag, bottom);
      newer = page.newer;
      return Boolean(newer);
    }, 'detail');
  }
}

async function conversationAround(k, rid) {
  const record = await api(`/api/records/${rid}`);
  conversation(k, record.chat_id ?? record.chat, rid);
}

function bubble(k, m, prev, group) {
  const out = [];
  if (!prev || dayKey(prev.date) !== dayKey(m.date)) out.push(h('div', { class: 'day', role: 'separator', text: fmtDay(m.date) }));
  const dir = ['incoming', 'outgoing', 'system'].includes(m.direction) ? m.direction : 'incoming';
  const row = h('div', { class: `msg ${dir}${m.deleted ? ' deleted' : ''}`, dataset: { rid: m._rid } });
  if (dir === 'system') {
    row.append(h('div', { class: 'sys', text: m.text || (m.card && m.card.title) || '' }));
    out.push(row);
    return out;
  }
  const showSender = group && dir === 'incoming' && (!prev || prev.sender !== m.sender || dayKey(prev.date) !== dayKey(m.date));
  const b = h('div', { class: 'bubble' });
  if (showSender) b.append(h('div', { class: 'sender', text: m.sender || m.sender_id || '' }));
  if (m.quote && (m.quote.text || m.quote.sender)) {
    b.append(h('blockquote', { class: 'quote' }, h('strong', { text: m.quote.sender || '' }), h('span', { text: m.quote.text || '' })));
  }
  const atts = m.attachments || [];
  const tag = /^\[([^\]]{1,40})\]\s*/.exec(m.text || '');
  // "[Photo]", "[Voice message 0:03]", "[Red packet] …": the app's placeholder for what is shown below.
  let text = m.text || '';
  if (tag && (m.card || atts.some((a) => !a.missing))) text = m.card && m.card.type === 'chat-history' ? text.slice(tag[0].length) : '';
  if (text) b.append(h('div', { class: 'text', text }));
  const video = atts.find((a) => !a.missing && /^video\//.test(a.mime || ''));
  const poster = video && atts.find((a) => a !== video && !a.missing && /^image\//.test(a.mime || '') && /poster|thumb/i.test(`${a.role} ${a.name}`));
  for (const a of atts) {
    if (a === poster) continue;
    b.append(attachment(a, m, { label: tag ? tag[1] : '', poster }));
  }
  if (m.card && !(m.card.type === 'sticker' && atts.some((a) => !a.missing))) b.append(card(m.card));
  const foot = h('div', { class: 'foot' });
  if (m.status) foot.append(badge(m.status, 'status'));
  if (m.deleted) foot.append(recoveredBadge());
  foot.append(h('time', { datetime: m.date || '', title: m.date || '', text: fmtTime(m.date) }));
  b.append(foot);
  row.append(selectBox(k.kind, 'rids', m._rid, `Select this message`), b);
  out.push(row);
  return out;
}

function attachment(a, record, { label = '', poster = null } = {}) {
  if (a.missing || !a.sha256) {
    return h('div', { class: 'file missing' }, h('strong', { text: a.name || 'Attachment' }), h('span', { text: 'not in the backup' }));
  }
  const mime = mimeOf(a);
  const src = `/api/media/${shownSha(a)}`;
  if (mime.startsWith('image/') || (a.mime || '').startsWith('image/')) {
    const img = h('img', { class: 'inline-img', loading: 'lazy', alt: a.name || 'image', src: `/api/thumb/${shownSha(a)}` });
    img.addEventListener('error', () => { img.replaceWith(fileChip(a)); }, { once: true });
    return h('button', { class: 'imgbtn', type: 'button', 'aria-label': `Open ${a.name || 'image'}`,
      onclick: () => openViewer([{ ref: a, record }], 0) }, img);
  }
  if (mime.startsWith('audio/') && /wav|mpeg|mp4|aac|ogg/.test(mime)) {
    const voice = a.role === 'voice' || /\.(silk|amr|aud)$/i.test(a.name || '');
    return h('div', { class: 'voice' }, h('span', { class: 'label', text: voice ? (label || 'Voice message') : (a.name || 'Audio') }),
      h('audio', { controls: true, preload: 'none', src, 'aria-label': voice ? 'Play voice message' : `Play ${a.name || 'audio'}` }));
  }
  if (mime.startsWith('video/') && /mp4|quicktime|webm/.test(mime)) {
    return h('video', { class: 'inline-video', controls: true, preload: 'metadata', src,
      poster: poster ? `/api/thumb/${shownSha(poster)}` : null });
  }
  return fileChip(a);
}

function fileChip(a) {
  return h('a', { class: 'file', href: `/api/media/${a.sha256}?download=1`, download: a.name || '' },
    h('strong', { text: a.name || 'file' }), h('span', { text: [a.mime, fmtSize(a.size)].filter(Boolean).join(' · ') }));
}

const CARD_LABELS = { link: 'Link', location: 'Location', file: 'File', transfer: 'Transfer', contact: 'Contact card',
  app: 'Mini program', call: 'Call', sticker: 'Sticker', 'red-packet': 'Red packet', music: 'Music', 'chat-history': 'Chat history' };

function card(c) {
  const el = h('div', { class: `card-item card-${(c.type || 'item').replace(/[^a-z_]/gi, '')}` },
    h('span', { class: 'ctype', text: CARD_LABELS[c.type] || humanize(c.type || 'item') }));
  if (c.title) el.append(h('strong', { text: c.title }));
  if (c.description) el.append(h('span', { class: 'desc', text: c.description }));
  if (c.url && /^https?:\/\//i.test(c.url)) {
    el.append(h('a', { href: c.url, target: '_blank', rel: 'noopener noreferrer', class: 'url', text: c.url }));
  } else if (c.url) el.append(h('span', { class: 'url', text: c.url }));
  return el;
}

// -- photos ---------------------------------------------------------------------------------------

function galleryRef(r) {
  const refs = mediaOf(r).filter((m) => !m.missing && m.sha256);
  return refs.find((m) => /^image\//.test(mimeOf(m))) || refs.find((m) => /^(image|video)\//.test(m.mime)) || refs[0] || null;
}

function gallery(k) {
  const pane = $('#listpane');
  const grid = h('ul', { class: 'grid' });
  const sentinel = h('div', { class: 'sentinel', text: 'Loading…' });
  const items = [];
  S.galleryItems = items;
  pane.replaceChildren(paneHead(k.title, h('span', { class: 'muted', text: plural(k.live + k.deleted, 'item') })),
    h('div', { class: 'scroll', id: 'list-scroll' }, grid, sentinel));
  let before = null;
  let lastDay = null;
  const load = async () => {
    const data = await api(`/api/kinds/${encodeURIComponent(k.kind)}/records${qs({ before, limit: 120, deleted: S.onlyDeleted ? 1 : null })}`);
    for (const r of data.items) {
      const ref = galleryRef(r);
      const index = items.length;
      items.push({ ref, record: r });
      if (monthKey(r.date) !== lastDay) {
        lastDay = monthKey(r.date);
        grid.append(h('li', { class: 'grid-day', text: r.date ? monthFmt.format(new Date(r.date)) : 'Without a date' }));
      }
      const name = r.filename || r.name || (ref && ref.name) || 'photo';
      const still = ref && /^image\//.test(mimeOf(ref));
      const img = still ? h('img', { loading: 'lazy', alt: name, src: `/api/thumb/${shownSha(ref)}` })
        : h('span', { class: 'noimg' }, ref && /^video\//.test(ref.mime) ? h('span', { class: 'play', 'aria-hidden': 'true', text: '▶' }) : null, name);
      if (still) img.addEventListener('error', () => img.replaceWith(h('span', { class: 'noimg', text: name })), { once: true });
      grid.append(h('li', { class: `tile${r.deleted ? ' deleted' : ''}`, dataset: { rid: r._rid } },
        h('button', { type: 'button', class: 'tilebtn', 'aria-label': `Open ${name}`, onclick: () => openViewer(items, index) }, img),
        selectBox(k.kind, 'rids', r._rid, `Select ${name}`),
        r.deleted ? recoveredBadge() : null));
    }
    before = data.older;
    return Boolean(before);
  };
  infinite($('#list-scroll'), sentinel, load);
}

function openViewer(items, index) {
  const dlg = $('#viewer');
  const showAt = (i) => {
    const { ref, record } = items[i];
    const figure = h('figure');
    if (ref && /^image\//.test(mimeOf(ref))) figure.append(h('img', { src: `/api/media/${shownSha(ref)}`, alt: ref.name || '' }));
    else if (ref && /^video\//.test(ref.mime)) figure.append(h('video', { src: `/api/media/${ref.sha256}`, controls: true }));
    else figure.append(h('p', { text: 'No preview for this file.' }));
    figure.append(h('figcaption', {},
      h('strong', { text: record.filename || (ref && ref.name) || recordTitle(record) }),
      h('span', { text: fmtFull(record.date) }),
      record.deleted ? recoveredBadge() : null,
      ref ? h('a', { href: `/api/media/${ref.sha256}?download=1`, download: ref.name || '', text: 'Download original' }) : null));
    dlg.replaceChildren(...[
      h('button', { class: 'close', type: 'button', 'aria-label': 'Close', text: '×', onclick: () => dlg.close() }),
      i > 0 ? h('button', { class: 'nav prev', type: 'button', 'aria-label': 'Previous', text: '‹', onclick: () => showAt(i - 1) }) : null,
      figure,
      i < items.length - 1 ? h('button', { class: 'nav next', type: 'button', 'aria-label': 'Next', text: '›', onclick: () => showAt(i + 1) }) : null,
    ].filter(Boolean));
    dlg.onkeydown = (e) => {
      if (e.key === 'ArrowLeft' && i > 0) showAt(i - 1);
      if (e.key === 'ArrowRight' && i < items.length - 1) showAt(i + 1);
    };
  };
  showAt(index);
  if (!dlg.open) dlg.showModal();
}

// -- contacts (cards) and everything else (table) -------------------------------------------------------

const HIDDEN = new Set(['kind', 'id', '_rid', 'source', 'provenance', 'deleted', 'html', 'date']);

function columnsFor(items) {
  const score = new Map();
  for (const r of items) {
    for (const [key, value] of Object.entries(r)) {
      if (HIDDEN.has(key)) continue;
      if (value === r.date || (typeof value === 'string' && value.length > 300)) continue;
      if (['string', 'number', 'boolean'].includes(typeof value) && value !== '' && value !== false) score.set(key, (score.get(key) || 0) + 1);
    }
  }
  const order = items.length ? Object.keys(items[0]) : [];
  return [...score.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b)).filter((key) => score.get(key) >= Math.max(1, items.length / 5)).slice(0, 5);
}

function cell(value) {
  if (typeof value === 'string' && ISO.test(value)) return fmtFull(value);
  if (typeof value === 'boolean') return value ? 'yes' : '';
  return String(value ?? '').slice(0, 160);
}

function subline(r) {
  const phones = (r.phones || []).map((p) => p.value || p.number).filter(Boolean);
  const emails = (r.emails || []).map((p) => p.value || p.address).filter(Boolean);
  return [r.organization, phones[0], emails[0]].filter(Boolean).join(' · ');
}

function recordList(k) {
  const pane = $('#listpane');
  const scroll = h('div', { class: 'scroll', id: 'list-scroll' });
  const sentinel = h('div', { class: 'sentinel', text: 'Loading…' });
  const banner = h('div', { class: 'banner-slot' });
  pane.replaceChildren(paneHead(k.title, h('span', { class: 'muted', text: plural(k.live + k.deleted, 'item') })), banner, scroll);
  if (k.kind === 'notes') lockedNotesBanner(banner);
  let before = null;
  let lastDay = null;
  let cols = null;
  let body = null;
  const cards = k.view === 'cards';
  const container = cards ? h('ul', { class: 'cardlist' }) : null;
  if (cards) scroll.append(container, sentinel);
  const load = async () => {
    const data = await api(`/api/kinds/${encodeURIComponent(k.kind)}/records${qs({ before, limit: 100, deleted: S.onlyDeleted ? 1 : null })}`);
    if (!cards && !body) {
      cols = columnsFor(data.items);
      body = h('tbody');
      scroll.append(h('table', { class: 'records' },
        h('thead', {}, h('tr', {}, h('th', { class: 'pickcol' }, h('span', { class: 'sr-only', text: 'Select' })), h('th', { text: 'Time' }), cols.map((c) => h('th', { text: humanize(c) })), h('th', {}))),
        body), sentinel);
    }
    for (const r of data.items) {
      const href = `#/k/${encodeURIComponent(k.kind)}/r/${r._rid}`;
      if (cards) {
        const photo = mediaOf(r).find((m) => !m.missing && m.sha256 && /^image\//.test(mimeOf(m)));
        container.append(h('li', { class: r.deleted ? 'deleted' : '', dataset: { rid: r._rid } },
          selectBox(k.kind, 'rids', r._rid, `Select ${recordTitle(r)}`),
          h('a', { href, class: 'cardrow' },
            photo ? h('img', { class: 'avatar', alt: '', src: `/api/thumb/${shownSha(photo)}` }) : h('span', { class: 'avatar', text: initials(recordTitle(r)) }),
            h('span', { class: 'meta' }, h('strong', { text: recordTitle(r) }), h('span', { class: 'muted', text: subline(r) })),
            r.deleted ? recoveredBadge() : null)));
        continue;
      }
      if (dayKey(r.date) !== lastDay) {
        lastDay = dayKey(r.date);
        body.append(h('tr', { class: 'dayrow' }, h('th', { colspan: cols.length + 3, scope: 'rowgroup', text: fmtDay(r.date) })));
      }
      const tr = h('tr', { class: r.deleted ? 'deleted' : '', dataset: { rid: r._rid }, tabindex: '0',
        onclick: () => { location.hash = href; },
        onkeydown: (e) => { if (e.key === 'Enter') location.hash = href; } },
      h('td', { class: 'pickcol' }, selectBox(k.kind, 'rids', r._rid, `Select ${recordTitle(r)}`)),
      h('td', { class: 'when', text: r.all_day ? 'all day' : fmtTime(r.date) }),
      cols.map((c) => h('td', { text: cell(r[c]) })),
      h('td', {}, r.deleted ? recoveredBadge() : null));
      body.append(tr);
    }
    before = data.older;
    return Boolean(before);
  };
  if (!cards) scroll.append(sentinel);
  infinite(scroll, sentinel, load);
}

function valueNode(value) {
  if (isMedia(value)) return mediaNode(value);
  if (Array.isArray(value)) {
    if (!value.length) return null;
    if (value.every((v) => typeof v !== 'object' || v === null)) return h('span', { text: value.join(', ') });
    return h('ul', { class: 'vlist' }, value.map((v) => h('li', {}, valueNode(v))));
  }
  if (value && typeof value === 'object') {
    if ('value' in value && Object.keys(value).length <= 3) {
      return h('span', {}, value.label ? h('span', { class: 'muted', text: `${value.label}: ` }) : null, String(value.value ?? ''));
    }
    const entries = Object.entries(value).filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && !v.length));
    return h('dl', { class: 'nested' }, entries.map(([kk, v]) => [h('dt', { text: humanize(kk) }), h('dd', {}, valueNode(v))]));
  }
  if (typeof value === 'string' && ISO.test(value)) return h('time', { datetime: value, title: value, text: fmtFull(value) });
  if (typeof value === 'boolean') return h('span', { text: value ? 'yes' : 'no' });
  return h('span', { class: 'pre', text: String(value) });
}

function mediaNode(ref) {
  if (ref.missing || !ref.sha256) return h('span', { class: 'muted', text: `${ref.name || 'file'} (not in the backup)` });
  const mime = mimeOf(ref);
  if (mime.startsWith('image/')) {
    return h('button', { class: 'imgbtn', type: 'button', onclick: () => openViewer([{ ref, record: {} }], 0) },
      h('img', { class: 'detail-img', alt: ref.name || '', src: `/api/thumb/${shownSha(ref)}` }));
  }
  if (mime.startsWith('audio/')) return h('audio', { controls: true, preload: 'none', src: `/api/media/${shownSha(ref)}` });
  if (mime.startsWith('video/')) return h('video', { controls: true, preload: 'metadata', src: `/api/media/${ref.sha256}` });
  return fileChip(ref);
}

const AREAS = { freeblock: 'free space inside a page', unallocated: 'unused space of a page', freelist: 'a freed page',
  overflow: 'an overflow page', wal: 'the write-ahead log', 'wal-stale': 'an old copy in the write-ahead log',
  journal: 'the rollback journal', app: 'the app’s Recently Deleted' };

async function detail(k, rid) {
  const pane = $('#detailpane');
  for (const el of document.querySelectorAll('#listpane [data-rid]')) el.classList.toggle('active', Number(el.dataset.rid) === rid);
  const r = await api(`/api/records/${rid}`);
  const body = h('div', { class: 'detail' });
  pane.replaceChildren(h('div', { class: 'conv-head' }, backButton(), h('div', { class: 'who' }, h('h2', { text: recordTitle(r) }),
    h('span', { class: 'muted', text: fmtFull(r.date) })), selectBox(k.kind, 'rids', r._rid, 'Select this item')), h('div', { class: 'scroll' }, body));
  if (r.deleted) {
    const p = r.provenance || {};
    const where = AREAS[p.area] || p.area || 'the database';
    body.append(h('p', { class: 'recovered-note' }, recoveredBadge(),
      ` Deleted on the phone, recovered from ${where}${p.confidence !== undefined && p.confidence < 1 ? ` (confidence ${Math.round(p.confidence * 100)}%)` : ''}${p.partial ? '; partly' : ''}.`));
  }
  if (r.locked && !r.unlocked && String(r.unlock_error || '').startsWith('locked with the iPhone passcode')) {
    body.append(h('div', { class: 'banner lock' }, h('p', {},
      h('strong', { text: 'This note is locked with the iPhone passcode.' }),
      ' Its key stays in the phone’s keychain, so no notes password can open it here.')));
  } else if (r.locked && !r.unlocked) {
    body.append(h('div', { class: 'banner lock' }, h('p', {}, h('strong', { text: 'This note is locked with a password.' }),
      r.password_hint ? ` Hint: “${r.password_hint}”.` : ''),
    h('button', { class: 'btn small', type: 'button', text: 'Unlock notes…', onclick: () => unlockDialog() })));
  }
  if (typeof r.html === 'string' && r.html) {
    body.append(h('iframe', { class: 'note-frame', sandbox: '', title: 'Note content', src: `/api/records/${rid}/html`, referrerpolicy: 'no-referrer' }));
  }
  const media = mediaOf(r);
  if (media.length) body.append(h('div', { class: 'media-row' }, media.map(mediaNode)));
  const dl = h('dl', { class: 'fields' });
  for (const [key, value] of Object.entries(r)) {
    if (HIDDEN.has(key) || value === null || value === '' || value === false) continue;
    if (isMedia(value) || (Array.isArray(value) && value.length && value.every(isMedia))) continue;
    if (Array.isArray(value) && !value.length) continue;
    if (['text', 'markdown', 'body'].includes(key) && typeof r.html === 'string' && r.html) continue;
    const node = valueNode(value);
    if (node) dl.append(h('dt', { text: humanize(key) }), h('dd', {}, node));
  }
  body.append(dl, h('details', { class: 'tech' }, h('summary', { text: 'Where this came from' }),
    h('dl', { class: 'fields' }, h('dt', { text: 'File' }), h('dd', { text: r.source || '' }), h('dt', { text: 'Id' }), h('dd', { text: r.id || '' }))));
}

// -- links and QR codes ----------------------------------------------------------------------------------

const SEVERITY = { match: ['Known threat', 'match'], danger: ['Looks dangerous', 'danger'],
  caution: ['Worth a look', 'caution'], ok: ['No warning', 'ok'] };
const FOUND_IN = { text: 'Link in a message', card: 'Link in a preview card', note: 'Link in a note',
  history: 'Visited in Safari', qr: 'Code in a picture' };
const CODE_NAMES = { QRCode: 'QR code', MicroQRCode: 'Micro QR code', RMQRCode: 'rMQR code', Aztec: 'Aztec code',
  DataMatrix: 'Data Matrix code', PDF417: 'PDF417 code' };

function linksEntry() {
  const n = h('span', { class: 'n', text: '…' });
  const danger = h('span', { class: 'danger-n', hidden: true });
  const a = h('a', { href: '#/links', class: 'links-entry kind', dataset: { kind: '@links' } },
    icon('link'), h('span', { class: 'title', text: 'Links & QR codes' }), n, danger);
  const show = (info) => {
    if (!info) return;
    if (info.state === 'running') { n.textContent = '…'; n.title = 'Checking…'; return; }
    if (info.state === 'failed') { n.textContent = '!'; n.title = info.error; return; }
    const c = info.counts || {};
    n.textContent = num((c.links || 0) + (c.codes || 0));
    n.title = `${plural(c.links, 'link')}, ${plural(c.codes, 'code')}`;
    const bad = (c.match || 0) + (c.danger || 0);
    danger.hidden = !bad;
    danger.textContent = num(bad);
    danger.title = `${num(bad)} look dangerous or match indicators`;
  };
  show(S.links);
  a.showLinks = show;
  return a;
}

// Follows the links check (it runs in the background after the scan) and updates the sidebar.
async function refreshLinks() {
  clearTimeout(refreshLinks.timer);
  try {
    S.links = await api(`/api/links${qs({ limit: 0 })}`);
  } catch (err) { return; }
  const entry = $('#sidebar a.links-entry');
  if (entry && entry.showLinks) entry.showLinks(S.links);
  if (S.links.state === 'running') refreshLinks.timer = setTimeout(refreshLinks, 1000);
}

function linkWhere(item) {
  const k = S.kindMap[item.case_kind];
  return [k ? k.title : item.kind, item.chat].filter(Boolean).join(' · ');
}

function linkRow(item) {
  const [label, cls] = SEVERITY[item.severity] || SEVERITY.ok;
  const found = item.found_in === 'qr'
    ? `${CODE_NAMES[item.qr_format] || 'Code'} in a picture${item.payload ? `: ${item.payload}` : ''}`
    : (FOUND_IN[item.found_in] || 'Link');
  const main = h('a', { class: 'linkhit', href: `#/links/r/${item.rid}` },
    h('span', { class: 'top' }, badge(label, `sev ${cls}`),
      h('time', { datetime: item.date || '', title: item.date || '', text: item.date ? fmtFull(item.date) : '' })),
    h('strong', { class: 'where', text: linkWhere(item) }),
    h('span', { class: 'muted meta', text: [found, item.sender && `from ${item.sender}`].filter(Boolean).join(' · ') }),
    h('code', { class: 'linkurl', text: item.url }),
    item.visible_text && item.visible_text !== item.url ? h('span', { class: 'muted shown', text: `Shown as “${item.visible_text}”` }) : null,
    item.matches.length ? h('ul', { class: 'why matches' }, item.matches.map((m) => h('li', {
      text: `Matches “${m.name}”: ${m.how} ${m.indicator} (from ${m.source})` }))) : null,
    item.warnings.length ? h('ul', { class: 'why' }, item.warnings.map((w) => h('li', { class: w.severity, text: w.message }))) : null,
    item.deleted ? recoveredBadge() : null);
  let thumb = null;
  const ref = item.image_ref;
  if (ref && ref.sha256) {
    const img = h('img', { loading: 'lazy', alt: '', src: `/api/thumb/${shownSha(ref)}` });
    thumb = h('button', { class: 'linkthumb', type: 'button', 'aria-label': `Open the picture ${ref.name || ''}`.trim(),
      onclick: () => openViewer([{ ref, record: { date: item.date, filename: ref.name, deleted: item.deleted } }], 0) }, img);
    img.addEventListener('error', () => thumb.remove(), { once: true });
  }
  return h('li', { class: `sev-${cls}${item.deleted ? ' deleted' : ''}`, dataset: { rid: item.rid, severity: item.severity } }, main, thumb);
}

function linksSummary(info) {
  const c = info.counts || {};
  const parts = [plural(c.links, 'link'), plural(c.codes, 'code')];
  const bad = [];
  if (c.match) bad.push(`${num(c.match)} match${c.match === 1 ? 'es' : ''} indicators`);
  if (c.danger) bad.push(`${num(c.danger)} look${c.danger === 1 ? 's' : ''} dangerous`);
  if (c.caution) bad.push(`${num(c.caution)} worth a look`);
  return { head: parts.join(' · '), line: bad.length ? bad.join(' · ') : 'Nothing looks dangerous.' };
}

function indicatorPanel(info, onChange) {
  const files = info.indicator_files || [];
  const input = h('input', { id: 'ioc-path', type: 'text', placeholder: '/home/you/indicators.stix2', autocomplete: 'off', spellcheck: 'false' });
  const status = h('p', { class: 'status small', role: 'status', 'aria-live': 'polite' });
  const send = async (body, button) => {
    button.disabled = true;
    status.className = 'status small';
    status.textContent = 'Checking again…';
    try {
      await api('/api/links/indicators', { method: 'POST', body });
      status.textContent = '';
      onChange();
    } catch (err) {
      status.textContent = err.message;
      status.classList.add('bad');
    }
    button.disabled = false;
  };
  const add = h('button', { class: 'btn small', type: 'submit', text: 'Add and check' });
  const panel = h('details', { class: 'iocs', open: S.iocsOpen || null },
    h('summary', { text: files.length ? `Indicator files (${num(files.length)})` : 'Check against indicator files' }),
    h('p', { class: 'muted small', text: 'Lists of known bad addresses, as published for spyware and scam campaigns: STIX 2 bundles, or plain lists of domains, URLs and IP addresses (one a line). Nothing is downloaded and no link is opened.' }),
    files.length ? h('ul', { class: 'ioc-files' }, files.map((f) => {
      const remove = h('button', { class: 'link', type: 'button', text: 'Remove', 'aria-label': `Remove ${f.name}` });
      remove.addEventListener('click', () => send({ remove: f.path }, remove));
      return h('li', {}, h('span', {}, h('strong', { text: f.name }), h('span', { class: 'muted', text: ` · ${plural(f.count, 'indicator')}` })), remove);
    })) : null,
    h('form', { onsubmit: (e) => { e.preventDefault(); send({ path: input.value.trim() }, add); } },
      h('label', { for: 'ioc-path', class: 'small', text: 'File on this computer' }),
      h('div', { class: 'row' }, input, add)),
    status);
  panel.addEventListener('toggle', () => { S.iocsOpen = panel.open; });
  return panel;
}

function linksScreen(openRid) {
  show('browse');
  markSidebar('@links');
  const browseEl = $('#screen-browse');
  browseEl.className = `screen browse view-links${openRid ? ' show-detail' : ''}`;
  const same = S.view && S.view.mode === 'links' && S.view.only === S.linksOnlyDangerous;
  stopLoaders('detail');
  if (!same) {
    stopLoaders('list');
    S.view = { mode: 'links', only: S.linksOnlyDangerous };
    linksList();
    $('#detailpane').replaceChildren(h('div', { class: 'empty-state' },
      h('p', { class: 'muted', text: 'Choose a link or code to see where it was sent or kept.' }),
      h('p', { class: 'muted small', text: 'reclaim never opens these links: they are read from the backup only, and judged by their address.' })));
  }
  if (openRid) openLink(openRid);
}

function linksList() {
  const pane = $('#listpane');
  const count = h('span', { class: 'muted' });
  const line = h('p', { class: 'links-line' });
  const only = h('input', { type: 'checkbox', id: 'links-dangerous' });
  only.checked = S.linksOnlyDangerous;
  only.addEventListener('change', () => { S.linksOnlyDangerous = only.checked; S.view = null; linksScreen(null); });
  const tools = h('div', { class: 'pane-tools links-tools' });
  const list = h('ul', { class: 'linklist', 'aria-live': 'polite' });
  const sentinel = h('div', { class: 'sentinel', text: 'Loading…' });
  const scroll = h('div', { class: 'scroll', id: 'list-scroll' }, list, sentinel);
  pane.replaceChildren(paneHead('Links & QR codes', count), tools, scroll);
  const reload = () => { S.view = null; refreshLinks(); linksScreen(null); };
  const start = async () => {
    const info = await api(`/api/links${qs({ only: S.linksOnlyDangerous ? 'dangerous' : 'all', limit: 100 })}`);
    if (!S.view || S.view.mode !== 'links') return;
    if (info.state === 'running') {
      count.textContent = '';
      sentinel.textContent = info.total
        ? `Looking for QR codes in the pictures… ${num(info.done)} of ${num(info.total)}`
        : 'Finding the links in messages, notes and browsing history…';
      setTimeout(start, 1000);
      return;
    }
    if (info.state === 'failed') {
      sentinel.textContent = `The check stopped: ${info.error}`;
      sentinel.classList.add('bad');
      return;
    }
    S.links = info;
    const summary = linksSummary(info);
    count.textContent = summary.head;
    line.textContent = summary.line;
    line.classList.toggle('bad', Boolean((info.counts.match || 0) + (info.counts.danger || 0)));
    tools.replaceChildren(line,
      h('label', { class: 'check', for: 'links-dangerous' }, only, h('span', { text: 'Only dangerous ones' })),
      indicatorPanel(info, reload));
    let next = 0;
    const render = (data) => {
      for (const item of data.items) list.append(linkRow(item));
      if (!list.children.length) {
        list.append(h('li', { class: 'empty', text: S.linksOnlyDangerous ? 'Nothing here looks dangerous.' : 'No links or codes were found.' }));
      }
      next = data.next;
    };
    render(info);
    if (next === null) { sentinel.remove(); return; }
    infinite(scroll, sentinel, async () => {
      render(await api(`/api/links${qs({ only: S.linksOnlyDangerous ? 'dangerous' : 'all', offset: next, limit: 100 })}`));
      return next !== null;
    });
  };
  start().catch((err) => { sentinel.textContent = err.message; });
}

async function openLink(rid) {
  for (const li of document.querySelectorAll('.linklist > li')) li.classList.toggle('active', Number(li.dataset.rid) === rid);
  const r = await api(`/api/records/${rid}`);
  const k = S.kindMap[r._kind] || { kind: r._kind, title: r._kind, view: 'table' };
  if (k.view === 'chat' && (r.chat_id || r.chat)) await conversation(k, r.chat_id ?? r.chat, rid);
  else await detail(k, rid);
  for (const li of document.querySelectorAll('.linklist > li')) li.classList.toggle('active', Number(li.dataset.rid) === rid);
}

// -- locked notes -------------------------------------------------------------------------------------------

async function lockedNotesBanner(slot) {
  let info;
  try { info = await api('/api/notes/locked'); } catch (err) { return; }
  const passcode = info.passcode
    ? h('p', { class: 'small', text: `${plural(info.passcode, 'note')} ${info.passcode === 1 ? 'is' : 'are'} locked with the iPhone passcode: no notes password can open ${info.passcode === 1 ? 'it' : 'them'} here.` })
    : null;
  if (!info.locked) {
    if (passcode) slot.replaceChildren(h('div', { class: 'banner lock' }, passcode));
    return;
  }
  const what = `${plural(info.locked, 'note')} ${info.locked === 1 ? 'is' : 'are'} locked with a password.`;
  slot.replaceChildren(h('div', { class: 'banner lock' }, passcode,
    h('p', {}, h('strong', { text: what }), info.hints.length ? ` Hint: “${info.hints.join('”, “')}”.` : ''),
    info.tried && info.wrong ? h('p', { class: 'bad small', role: 'alert', text: `The password${info.tried === 1 ? '' : 's'} you typed did not unlock ${info.wrong === 1 ? 'it' : 'them'}.` }) : null,
    info.can_unlock
      ? h('button', { class: 'btn small', type: 'button', text: 'Unlock notes…', onclick: () => unlockDialog(info) })
      : h('p', { class: 'muted small', text: 'Open the backup they came from to unlock them.' })));
}

function unlockDialog(info = null) {
  const dlg = $('#unlock-dialog');
  const input = h('input', { id: 'note-password', type: 'password', autocomplete: 'off', required: true });
  const result = h('p', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const go = h('button', { class: 'btn primary', type: 'submit', text: 'Unlock' });
  dlg.replaceChildren(h('form', { onsubmit: async (e) => {
    e.preventDefault();
    const password = input.value;
    input.value = '';
    go.disabled = true;
    result.className = 'result';
    result.textContent = 'Starting…';
    try {
      await api('/api/notes/unlock', { method: 'POST', body: { password } });
      dlg.close();
      S.afterScan = '#/k/notes';
      location.hash = '#/scan';
    } catch (err) {
      result.textContent = err.message;
      result.classList.add('bad');
    }
    go.disabled = false;
  } },
  h('h2', { id: 'unlock-title', text: 'Unlock locked notes' }),
  h('p', { text: 'Type the password used to lock notes in the Notes app. reclaim reads the backup again and shows every note it opens.' }),
  info && info.hints && info.hints.length ? h('p', { class: 'muted', text: `Hint: “${info.hints.join('”, “')}”` }) : null,
  h('label', { for: 'note-password', text: 'Notes password' }), input,
  h('p', { class: 'muted small', text: 'The password stays in this program’s memory until you stop it: it is not saved, shown or sent anywhere. You can type several, one after the other.' }),
  result,
  h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'button', text: 'Cancel', onclick: () => dlg.close() }), go)));
  dlg.showModal();
  input.focus();
}

// -- search ---------------------------------------------------------------------------------------------

function highlight(text, query) {
  const terms = query.split(/\s+/).filter(Boolean).map((t) => t.toLowerCase());
  const low = text.toLowerCase();
  let first = -1;
  for (const t of terms) { const i = low.indexOf(t); if (i >= 0 && (first < 0 || i < first)) first = i; }
  const start = Math.max(0, first - 60);
  const snippet = (start ? '…' : '') + text.slice(start, start + 220);
  const out = h('span', { class: 'snippet' });
  const lowSnip = snippet.toLowerCase();
  let i = 0;
  while (i < snippet.length) {
    let hit = null;
    for (const t of terms) if (t && lowSnip.startsWith(t, i)) { hit = t; break; }
    if (hit) { out.append(h('mark', { text: snippet.slice(i, i + hit.length) })); i += hit.length; }
    else {
      let j = i + 1;
      while (j < snippet.length && !terms.some((t) => t && lowSnip.startsWith(t, j))) j += 1;
      out.append(snippet.slice(i, j));
      i = j;
    }
  }
  return out;
}

function searchScreen(params) {
  show('browse');
  stopLoaders();
  S.view = { mode: 'search' };
  markSidebar(null);
  $('#screen-browse').className = 'screen browse view-search';
  const q = params.get('q') || '';
  $('#search-input').value = q;
  const pane = $('#listpane');
  const kindSel = h('select', { id: 'f-kind' }, h('option', { value: '', text: 'Everything' }),
    S.kinds.filter((k) => k.live + k.deleted > 0).map((k) => h('option', { value: k.kind, text: k.title })));
  kindSel.value = params.get('kinds') || '';
  const since = h('input', { id: 'f-since', type: 'date', value: params.get('since') || '' });
  const until = h('input', { id: 'f-until', type: 'date', value: params.get('until') || '' });
  const chat = h('input', { id: 'f-chat', type: 'text', placeholder: 'Conversation name', value: params.get('chat') || '' });
  const sender = h('input', { id: 'f-sender', type: 'text', placeholder: 'Name', value: params.get('sender') || '' });
  const apply = (e) => {
    e.preventDefault();
    location.hash = `#/search${qs({ q, kinds: kindSel.value, since: since.value, until: until.value, chat: chat.value, sender: sender.value })}`;
  };
  const results = h('ul', { class: 'results', 'aria-live': 'polite' });
  const info = h('p', { class: 'muted' });
  const sentinel = h('div', { class: 'sentinel', text: 'Searching…' });
  pane.replaceChildren(paneHead(`Results for “${q}”`, info),
    h('form', { class: 'filters', onsubmit: apply },
      h('label', {}, h('span', { text: 'Kind' }), kindSel),
      h('label', {}, h('span', { text: 'From' }), since),
      h('label', {}, h('span', { text: 'To' }), until),
      h('label', {}, h('span', { text: 'Conversation' }), chat),
      h('label', {}, h('span', { text: 'Person' }), sender),
      h('button', { class: 'btn small', type: 'submit', text: 'Filter' })),
    h('div', { class: 'scroll', id: 'list-scroll' }, results, sentinel));
  $('#detailpane').replaceChildren(h('div', { class: 'empty-state' }, h('p', { class: 'muted', text: 'Choose a result to see it in context.' })));
  let offset = 0;
  let total = 0;
  const load = async () => {
    const data = await api(`/api/search${qs({ q, kinds: kindSel.value, since: since.value, until: until.value, chat: chat.value, sender: sender.value, offset, limit: 50 })}`);
    total += data.items.length;
    info.textContent = `${num(total)}${data.next !== null ? '+' : ''} found`;
    if (!total) results.append(h('li', { class: 'empty', text: 'Nothing matches. Try fewer or shorter words.' }));
    for (const r of data.items) {
      const kind = r._kind || r.kind;
      const k = S.kindMap[kind] || { title: kind, view: 'table', kind };
      const text = String(r.text || r.body || r.notes || r.title || recordTitle(r));
      const where = k.view === 'chat' ? (r.chat || '') : recordTitle(r);
      results.append(h('li', { class: r.deleted ? 'deleted' : '', dataset: { rid: r._rid, kind } },
        selectBox(kind, 'rids', r._rid, `Select this ${k.title} result`),
        h('button', { type: 'button', class: 'hit', onclick: () => openHit(k, r) },
          h('span', { class: 'top' }, badge(k.title, 'kindtag'), h('strong', { text: where }), h('time', { datetime: r.date || '', text: fmtShort(r.date) })),
          r.sender ? h('span', { class: 'muted', text: r.sender }) : null,
          highlight(text, q),
          r.deleted ? recoveredBadge() : null)));
    }
    if (data.next === null) return false;
    offset = data.next;
    return true;
  };
  infinite($('#list-scroll'), sentinel, load);
}

function openHit(k, r) {
  $('#screen-browse').classList.add('show-detail');
  for (const li of document.querySelectorAll('.results li')) li.classList.toggle('active', Number(li.dataset.rid) === r._rid);
  if (k.view === 'chat') conversation(k, r.chat_id ?? r.chat, r._rid);
  else detail(k, r._rid);
}

// -- recover ---------------------------------------------------------------------------------------------

const FORMAT_LABELS = { html: 'Pages to read (HTML)', json: 'Data (JSON Lines)', csv: 'Spreadsheet (CSV)', vcard: 'Contacts (vCard)',
  ics: 'Calendar (ICS)', txt: 'Text transcripts', md: 'Notes (Markdown)', eml: 'E-mail (EML)', media: 'Photos and videos (files)',
  links: 'Links and QR codes (list)' };

function recoverDialog() {
  const dlg = $('#recover-dialog');
  const n = selCount();
  const chosen = [];
  for (const [kind, s] of Object.entries(S.sel)) {
    const title = (S.kindMap[kind] || {}).title || kind;
    if (s.chats.size) chosen.push(`${plural(s.chats.size, 'conversation')} from ${title}`);
    if (s.rids.size) chosen.push(`${plural(s.rids.size, 'item')} from ${title}`);
  }
  const total = S.kinds.reduce((a, k) => a + k.live + k.deleted, 0);
  // Core formats, the natural formats of the chosen kinds (all kinds when nothing is ticked), and
  // formats no kind claims (whole-report extras).
  const chosenKinds = n ? Object.keys(S.sel).filter((k) => S.sel[k].rids.size || S.sel[k].chats.size) : S.kinds.map((k) => k.kind);
  const claimed = new Set(S.kinds.flatMap((k) => k.formats || []));
  const wanted = new Set(chosenKinds.flatMap((k) => (S.kindMap[k] || {}).formats || []));
  const offered = S.formats.filter((f) => ['html', 'json', 'csv'].includes(f) || wanted.has(f) || !claimed.has(f));
  const formatBoxes = offered.map((f) => {
    const box = h('input', { type: 'checkbox', name: 'format', value: f, id: `fmt-${f}` });
    box.checked = true;
    return h('label', { class: 'check', for: `fmt-${f}` }, box, h('span', { text: FORMAT_LABELS[f] || f.toUpperCase() }));
  });
  const folder = h('input', { id: 'out-folder', type: 'text', placeholder: '/home/you/Recovered from iPhone', autocomplete: 'off', spellcheck: 'false' });
  const toFolder = h('input', { type: 'radio', name: 'where', id: 'where-folder', value: 'folder', checked: true });
  const toZip = h('input', { type: 'radio', name: 'where', id: 'where-zip', value: 'zip' });
  const result = h('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const go = h('button', { class: 'btn primary', type: 'submit', text: 'Recover' });
  dlg.replaceChildren(h('form', { method: 'dialog', onsubmit: async (e) => {
    e.preventDefault();
    const formats = [...dlg.querySelectorAll('input[name=format]:checked')].map((b) => b.value);
    if (!formats.length) { result.textContent = 'Choose at least one format.'; return; }
    const selection = {};
    for (const [kind, s] of Object.entries(S.sel)) {
      if (s.rids.size || s.chats.size) selection[kind] = { rids: [...s.rids], chats: [...s.chats] };
    }
    go.disabled = true;
    result.className = 'result';
    result.textContent = 'Recovering…';
    try {
      if (toZip.checked) {
        const data = await api('/api/export', { method: 'POST', body: { zip: true, formats, selection } });
        result.textContent = `Your zip is ready (${fmtSize(data.size)}).`;
        const a = h('a', { href: data.download, download: 'reclaim-recovered.zip', class: 'btn', text: 'Download again' });
        result.append(' ', a);
        a.click();
      } else {
        const data = await api('/api/export', { method: 'POST', body: { folder: folder.value, formats, selection } });
        result.replaceChildren(h('strong', { text: `Saved ${num(data.files)} files to ${data.folder}` }),
          h('p', { class: 'muted', text: 'Open index.html there to read everything. manifest.sha256 lists every file’s SHA-256 fingerprint.' }));
        result.classList.add('ok');
      }
    } catch (err) {
      result.textContent = err.message;
      result.classList.add('bad');
    }
    go.disabled = false;
  } },
  h('h2', { id: 'recover-title', text: 'Recover to your computer' }),
  h('p', { text: n ? `You chose ${chosen.join(', ')}.` : `Nothing is ticked, so everything found (${num(total)} items) will be recovered.` }),
  h('fieldset', {}, h('legend', { text: 'Formats' }), h('div', { class: 'checks' }, formatBoxes)),
  h('fieldset', {}, h('legend', { text: 'Where' }),
    h('label', { class: 'check', for: 'where-folder' }, toFolder, h('span', { text: 'Into a folder on this computer' })),
    h('label', { class: 'sr-only', for: 'out-folder', text: 'Folder' }), folder,
    h('label', { class: 'check', for: 'where-zip' }, toZip, h('span', { text: 'As a zip file to download' }))),
  result,
  h('div', { class: 'actions' },
    n ? h('button', { class: 'btn', type: 'button', text: 'Clear selection', onclick: () => { S.sel = {}; updateSelCount(); dlg.close(); route(true); } }) : null,
    h('button', { class: 'btn', type: 'button', text: 'Close', onclick: () => dlg.close() }), go)));
  dlg.showModal();
  folder.focus();
}

// -- routing ---------------------------------------------------------------------------------------------

async function route(force = false) {
  if (force) S.view = null;
  const hash = location.hash.slice(1) || '/';
  const [path, query] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'scan') return scanScreen();
  if (parts[0] === 'start') return startScreen();
  if (!S.kinds.length) return undefined;
  if (parts[0] === 'search') return searchScreen(new URLSearchParams(query || ''));
  if (parts[0] === 'links') return linksScreen(parts[1] === 'r' ? Number(parts[2]) : null);
  if (parts[0] === 'k') return browse(parts[1], parts[2], parts[3]);
  return browse(null);
}

async function boot() {
  $('#recover-open').addEventListener('click', recoverDialog);
  $('#search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('#search-input').value.trim();
    if (q) location.hash = `#/search${qs({ q })}`;
  });
  window.addEventListener('hashchange', () => route());
  updateSelCount();
  const state = await api('/api/state');
  S.source = state.source;
  showDevice(state.source);
  if (state.job && state.job.state === 'running') { location.hash = '#/scan'; scanScreen(); return; }
  if (state.case) {
    await loadCase();
    if (/^#\/(scan|start)/.test(location.hash)) location.hash = '#/';
    route();
    return;
  }
  startScreen('', state.preset);
}

boot().catch((err) => toast(err.message, true));
