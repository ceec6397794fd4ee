// The frame around the views: which screen shows, the device line, the sidebar mark, pane heads, infinite scrolling.

import { $, h, toast } from './dom.js';
import { deviceModel } from './format.js';
import { S } from './state.js';

export function show(screen) {
  for (const el of document.querySelectorAll('.screen')) el.hidden = el.id !== `screen-${screen}`;
  const browsing = screen === 'browse';
  $('#search-form').hidden = !browsing;
  $('#recover-open').hidden = !browsing;
}

export function showDevice(src) {
  const el = $('#device');
  el.replaceChildren();
  if (!src) return;
  const parts = [src.device_name || src.name, deviceModel(src.product_name || (src.extra && src.extra.product_name), src.product_type), src.product_version && `iOS ${src.product_version}`];
  el.append(h('strong', { text: parts[0] || '' }), h('span', { text: parts.slice(1).filter(Boolean).join(' · ') }));
  // What is wrong with the source as a whole (a damaged index of its files): in full on hover and for readers.
  const warnings = src.warnings || [];
  if (warnings.length) el.append(h('span', { class: 'warn', title: warnings.join('\n'), text: `⚠ ${warnings.join(' ')}` }));
}

export function markSidebar(kind) {
  for (const a of document.querySelectorAll('#sidebar a.kind, #sidebar a.links-entry')) {
    if (a.dataset.kind === kind) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

// Infinite-scroll observers, per pane: the list's survive opening an item beside it.
export function stopLoaders(group = null) {
  for (const name of group ? [group] : Object.keys(S.loaders)) {
    for (const obs of S.loaders[name]) obs.disconnect();
    S.loaders[name] = [];
  }
}

// Calls load() whenever the sentinel scrolls into view, until load() returns false.
export function infinite(container, sentinel, load, group = 'list') {
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

// What an empty list says: with "Only recovered" ticked, that this is why, and how to see the rest.
export function emptyList(tag = 'p') {
  return h(tag, { class: 'empty-list', role: 'status' }, S.onlyDeleted
    ? 'Nothing recovered (deleted) here. Untick “Only recovered (deleted) items” to see everything.'
    : 'Nothing here.');
}

export function paneHead(title, extra) {
  return h('div', { class: 'pane-head' }, h('h2', { text: title }), extra);
}

export function backButton() {
  return h('button', { class: 'back', type: 'button', 'aria-label': 'Back to the list', text: '‹ Back',
    onclick: () => { $('#screen-browse').classList.remove('show-detail'); history.back(); } });
}
