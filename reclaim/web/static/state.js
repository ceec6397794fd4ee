// The page's memory (S) and the selection of items to recover, with its tick boxes.

import { $, h } from './dom.js';
import { num } from './format.js';

export const S = {
  kinds: [], kindMap: {}, formats: [], source: null, onlyDeleted: false,
  sel: {}, view: null, loaders: { list: [], detail: [] }, galleryItems: [],
  links: null, linksOnlyDangerous: false, afterScan: null,
};

export function selFor(kind) {
  if (!S.sel[kind]) S.sel[kind] = { rids: new Set(), chats: new Set() };
  return S.sel[kind];
}

export function selCount() {
  let n = 0;
  for (const s of Object.values(S.sel)) n += s.rids.size + s.chats.size;
  return n;
}

export function updateSelCount() {
  const n = selCount();
  $('#sel-count').textContent = n ? `(${num(n)})` : '';
  $('#recover-open').setAttribute('aria-label', n ? `Recover ${n} selected items` : 'Recover everything');
}

export function selectBox(kind, what, value, label) {
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
