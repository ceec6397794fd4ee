// Every other kind: contacts as cards, the rest as a table; one record's fields, with where a recovered one came from.

import { api, qs } from '../api.js';
import { $, h, recoveredBadge } from '../dom.js';
import { dayKey, fmtDay, fmtDuration, fmtFull, fmtTime, humanize, initials, ISO, plural } from '../format.js';
import { isMedia, mediaOf, mimeOf, recordTitle, shownSha } from '../record.js';
import { S, selectBox } from '../state.js';
import { backButton, emptyList, infinite, paneHead } from '../layout.js';
import { mediaNode } from './media.js';
import { lockedNotesBanner, unlockDialog } from './notes.js';

export const HIDDEN = new Set(['kind', '_kind', 'id', '_rid', 'source', 'provenance', 'deleted', 'html', 'date']);

export function columnsFor(items) {
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

export function cell(value) {
  if (typeof value === 'string' && ISO.test(value)) return fmtFull(value);
  if (typeof value === 'boolean') return value ? 'yes' : '';
  return String(value ?? '').slice(0, 160);
}

export function subline(r) {
  const phones = (r.phones || []).map((p) => p.value || p.number).filter(Boolean);
  const emails = (r.emails || []).map((p) => p.value || p.address).filter(Boolean);
  return [r.organization, phones[0], emails[0]].filter(Boolean).join(' · ');
}

export function recordList(k) {
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
        h('thead', {}, h('tr', {}, h('th', { class: 'pickcol' }, h('span', { class: 'sr-only', text: 'Select' })), h('th', { text: 'Time' }), cols.map((c) => h('th', { text: humanize(c) })))),
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
        body.append(h('tr', { class: 'dayrow' }, h('th', { colspan: cols.length + 2, scope: 'rowgroup', text: fmtDay(r.date) })));
      }
      const tr = h('tr', { class: r.deleted ? 'deleted' : '', dataset: { rid: r._rid }, tabindex: '0',
        onclick: () => { location.hash = href; },
        onkeydown: (e) => { if (e.key === 'Enter') location.hash = href; } },
      h('td', { class: 'pickcol' }, selectBox(k.kind, 'rids', r._rid, `Select ${recordTitle(r)}`)),
      // The mark sits under the time, the one column always in view when a wide table scrolls sideways.
      h('td', { class: 'when' }, r.all_day ? 'all day' : fmtTime(r.date), r.deleted ? recoveredBadge() : null),
      cols.map((c) => h('td', { text: c === 'duration' && typeof r[c] === 'number' ? fmtDuration(r[c]) : cell(r[c]) })));
      body.append(tr);
    }
    before = data.older;
    if (!before && !(cards ? container : body).children.length) scroll.append(emptyList());
    return Boolean(before);
  };
  if (!cards) scroll.append(sentinel);
  infinite(scroll, sentinel, load);
}

export function valueNode(value) {
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

export const AREAS = { freeblock: 'free space inside a page', unallocated: 'unused space of a page', freelist: 'a freed page',
  overflow: 'an overflow page', wal: 'the write-ahead log', 'wal-stale': 'an old copy in the write-ahead log',
  journal: 'the rollback journal', app: 'the app’s Recently Deleted', 'leftover-file': 'a file the app left behind' };

export async function detail(k, rid) {
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
  const talk = await conversationLink(k, r);
  if (talk) body.append(h('p', {}, talk));
  const dl = h('dl', { class: 'fields' });
  for (const [key, value] of Object.entries(r)) {
    if (HIDDEN.has(key) || value === null || value === '' || value === false) continue;
    if (isMedia(value) || (Array.isArray(value) && value.length && value.every(isMedia))) continue;
    if (Array.isArray(value) && !value.length) continue;
    if (['text', 'markdown', 'body'].includes(key) && typeof r.html === 'string' && r.html) continue;
    const node = key === 'duration' && typeof value === 'number' ? h('span', { text: fmtDuration(value) }) : valueNode(value);
    if (node) dl.append(h('dt', { text: humanize(key) }), h('dd', {}, node));
  }
  body.append(dl, h('details', { class: 'tech' }, h('summary', { text: 'Where this came from' }),
    h('dl', { class: 'fields' }, h('dt', { text: 'File' }), h('dd', { text: r.source || '' }), h('dt', { text: 'Id' }), h('dd', { text: r.id || '' }))));
}

// A contact's conversation (a WeChat contact's chat_id names it in the "wechat" kind), when the case holds it.
async function conversationLink(k, r) {
  const chatKind = S.kindMap[k.kind.replace(/-contacts$/, '')];
  if (!r.chat_id || !chatKind || chatKind.view !== 'chat' || chatKind.kind === k.kind) return null;
  const found = await api(`/api/kinds/${encodeURIComponent(chatKind.kind)}/records${qs({ chat: r.chat_id, limit: 1 })}`);
  if (!found.items.length) return null;
  return h('a', { class: 'btn small', href: `#/k/${encodeURIComponent(chatKind.kind)}/c/${encodeURIComponent(r.chat_id)}`,
    text: 'Open the conversation' });
}
