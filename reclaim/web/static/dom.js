// Building the page: the h() element helper, $, the toast, badges and the line icons.

export const $ = (sel, root = document) => root.querySelector(sel);

export function h(tag, attrs = {}, ...children) {
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

export function toast(message, bad = false) {
  const el = $('#toast');
  el.textContent = message;
  el.classList.toggle('bad', bad);
  el.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove('show'), 5000);
}

export function badge(text, cls = '') { return h('span', { class: `badge ${cls}`, text }); }

export const recoveredBadge = () => badge('Recovered', 'recovered');

export const ICONS = {
  chat: 'M4 5h16v10H8l-4 4z',
  gallery: 'M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4',
  cards: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 20c1-4 4-6 8-6s7 2 8 6',
  table: 'M4 5h16v14H4zM4 10h16M4 15h16M10 5v14',
  note: 'M6 3h9l4 4v14H6zM9 11h7M9 15h7',
  calendar: 'M4 6h16v14H4zM4 10h16M8 3v5M16 3v5',
  phone: 'M6 3l4 4-2 3a11 11 0 0 0 6 6l3-2 4 4-3 3C10 21 3 14 3 6z',
  link: 'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1',
};

export function icon(name) {
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

export function kindIcon(kind) {
  if (/note/.test(kind.kind)) return icon('note');
  if (/calendar|reminder/.test(kind.kind)) return icon('calendar');
  if (/call|voicemail/.test(kind.kind)) return icon('phone');
  return icon(kind.view);
}
