// Attachments and media: inline pictures, voice messages, videos, file chips, cards, the photo viewer.

import { $, h, recoveredBadge } from '../dom.js';
import { fmtFull, fmtSize, humanize } from '../format.js';
import { mimeOf, recordTitle, shownSha } from '../record.js';

export function attachment(a, record, { label = '', poster = null } = {}) {
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

export function fileChip(a) {
  return h('a', { class: 'file', href: `/api/media/${a.sha256}?download=1`, download: a.name || '' },
    h('strong', { text: a.name || 'file' }), h('span', { text: [a.mime, fmtSize(a.size)].filter(Boolean).join(' · ') }));
}

export const CARD_LABELS = { link: 'Link', location: 'Location', file: 'File', transfer: 'Transfer', contact: 'Contact card',
  app: 'Mini program', call: 'Call', sticker: 'Sticker', 'red-packet': 'Red packet', music: 'Music', 'chat-history': 'Chat history' };

export function card(c) {
  const el = h('div', { class: `card-item card-${(c.type || 'item').replace(/[^a-z_]/gi, '')}` },
    h('span', { class: 'ctype', text: CARD_LABELS[c.type] || humanize(c.type || 'item') }));
  if (c.title) el.append(h('strong', { text: c.title }));
  if (c.description) el.append(h('span', { class: 'desc', text: c.description }));
  if (c.url && /^https?:\/\//i.test(c.url)) {
    el.append(h('a', { href: c.url, target: '_blank', rel: 'noopener noreferrer', class: 'url', text: c.url }));
  } else if (c.url) el.append(h('span', { class: 'url', text: c.url }));
  return el;
}

export function openViewer(items, index) {
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

export function mediaNode(ref) {
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
