// Browsing a case: the sidebar of kinds with their counts, and the list and detail panes of one kind.

import { api } from '../api.js';
import { $, h, kindIcon, toast } from '../dom.js';
import { num } from '../format.js';
import { S } from '../state.js';
import { markSidebar, show, showDevice, stopLoaders } from '../layout.js';
import { route } from '../router.js';
import { chatList, conversation, conversationAround } from './chat.js';
import { gallery } from './photos.js';
import { detail, recordList } from './records.js';
import { linksEntry, refreshLinks } from './links.js';

export async function loadCase() {
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

export function buildSidebar() {
  const nav = $('#sidebar');
  const found = S.kinds.filter((k) => k.live + k.deleted > 0);
  const empty = S.kinds.filter((k) => k.live + k.deleted === 0);
  const only = h('input', { type: 'checkbox', id: 'only-deleted' });
  only.checked = S.onlyDeleted;
  only.addEventListener('change', () => { S.onlyDeleted = only.checked; route(); });
  const items = found.map((k) => h('li', {}, h('a', { href: `#/k/${encodeURIComponent(k.kind)}`, class: 'kind', dataset: { kind: k.kind } },
    kindIcon(k), h('span', { class: 'title', text: k.title }),
    h('span', { class: 'n', text: num(k.live + k.deleted) }),
    k.deleted ? h('span', { class: 'del', title: `${k.deleted} recovered`, text: `+${num(k.deleted)}` }) : null,
    (k.warnings || []).length ? h('span', { class: 'warn', title: k.warnings.join('\n'), 'aria-label': `${k.warnings.length} warning(s): ${k.warnings.join(' ')}`, text: '⚠' }) : null)));
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

export function browse(kind, sub, arg) {
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
