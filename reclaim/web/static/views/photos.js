// Photos: the grid of thumbnails by month.

import { api, qs } from '../api.js';
import { $, h, recoveredBadge } from '../dom.js';
import { monthFmt, monthKey, plural } from '../format.js';
import { mediaOf, mimeOf, shownSha } from '../record.js';
import { S, selectBox } from '../state.js';
import { emptyList, infinite, paneHead } from '../layout.js';
import { openViewer } from './media.js';

export function galleryRef(r) {
  const refs = mediaOf(r).filter((m) => !m.missing && m.sha256);
  return refs.find((m) => /^image\//.test(mimeOf(m))) || refs.find((m) => /^(image|video)\//.test(m.mime)) || refs[0] || null;
}

export function gallery(k) {
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
    if (!before && !items.length) grid.after(emptyList());
    return Boolean(before);
  };
  infinite($('#list-scroll'), sentinel, load);
}
