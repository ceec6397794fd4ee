// Search: results across every kind with filters, the words highlighted, a result opened in context.

import { api, qs } from '../api.js';
import { $, badge, h, recoveredBadge } from '../dom.js';
import { fmtShort, num } from '../format.js';
import { recordTitle } from '../record.js';
import { S, selectBox } from '../state.js';
import { infinite, markSidebar, paneHead, show, stopLoaders } from '../layout.js';
import { conversation } from './chat.js';
import { detail } from './records.js';

export function highlight(text, query) {
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

export function searchScreen(params) {
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
    const data = await api(`/api/search${qs({ q, kinds: kindSel.value, since: since.value, until: until.value, chat: chat.value, sender: sender.value, deleted: S.onlyDeleted ? 1 : null, offset, limit: 50 })}`);
    total += data.items.length;
    info.textContent = `${num(total)}${data.next !== null ? '+' : ''} ${S.onlyDeleted ? 'recovered ' : ''}found`;
    if (!total) {
      const filtered = [kindSel, since, until, chat, sender].some((el) => el.value);
      const why = filtered ? ' Try fewer or shorter words, or clear the filters.' : ' Try fewer or shorter words.';
      results.append(h('li', { class: 'empty', text: S.onlyDeleted
        ? `No recovered (deleted) item matches “${q}”. Untick “Only recovered (deleted) items” to search everything.`
        : `Nothing matches “${q}”.${why}` }));
      $('#detailpane').replaceChildren();
    }
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

export function openHit(k, r) {
  $('#screen-browse').classList.add('show-detail');
  for (const li of document.querySelectorAll('.results li')) li.classList.toggle('active', Number(li.dataset.rid) === r._rid);
  if (k.view === 'chat') conversation(k, r.chat_id ?? r.chat, r._rid);
  else detail(k, r._rid);
}
