// Links & QR codes: the safety check's list, most serious first, indicator files, a link in its context.

import { api, qs } from '../api.js';
import { $, badge, h, icon, recoveredBadge } from '../dom.js';
import { fmtFull, num, plural } from '../format.js';
import { shownSha } from '../record.js';
import { S } from '../state.js';
import { infinite, markSidebar, paneHead, show, stopLoaders } from '../layout.js';
import { conversation } from './chat.js';
import { openViewer } from './media.js';
import { detail } from './records.js';

export const SEVERITY = { match: ['Known threat', 'match'], danger: ['Looks dangerous', 'danger'],
  caution: ['Worth a look', 'caution'], ok: ['No warning', 'ok'] };

export const FOUND_IN = { text: 'Link in a message', card: 'Link in a preview card', note: 'Link in a note',
  history: 'Visited in Safari', qr: 'Code in a picture' };

export const CODE_NAMES = { QRCode: 'QR code', MicroQRCode: 'Micro QR code', RMQRCode: 'rMQR code', Aztec: 'Aztec code',
  DataMatrix: 'Data Matrix code', PDF417: 'PDF417 code' };

export function linksEntry() {
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
export async function refreshLinks() {
  clearTimeout(refreshLinks.timer);
  try {
    S.links = await api(`/api/links${qs({ limit: 0 })}`);
  } catch (err) { return; }
  const entry = $('#sidebar a.links-entry');
  if (entry && entry.showLinks) entry.showLinks(S.links);
  if (S.links.state === 'running') refreshLinks.timer = setTimeout(refreshLinks, 1000);
}

export function linkWhere(item) {
  const k = S.kindMap[item.case_kind];
  return [k ? k.title : item.kind, item.chat].filter(Boolean).join(' · ');
}

export function linkRow(item) {
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

export function linksSummary(info) {
  const c = info.counts || {};
  const parts = [plural(c.links, 'link'), plural(c.codes, 'code')];
  const bad = [];
  if (c.match) bad.push(`${num(c.match)} match${c.match === 1 ? 'es' : ''} indicators`);
  if (c.danger) bad.push(`${num(c.danger)} look${c.danger === 1 ? 's' : ''} dangerous`);
  if (c.caution) bad.push(`${num(c.caution)} worth a look`);
  return { head: parts.join(' · '), line: bad.length ? bad.join(' · ') : 'Nothing looks dangerous.' };
}

export function indicatorPanel(info, onChange) {
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

export function linksScreen(openRid) {
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

export function linksList() {
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

export async function openLink(rid) {
  for (const li of document.querySelectorAll('.linklist > li')) li.classList.toggle('active', Number(li.dataset.rid) === rid);
  const r = await api(`/api/records/${rid}`);
  const k = S.kindMap[r._kind] || { kind: r._kind, title: r._kind, view: 'table' };
  if (k.view === 'chat' && (r.chat_id || r.chat)) await conversation(k, r.chat_id ?? r.chat, rid);
  else await detail(k, rid);
  for (const li of document.querySelectorAll('.linklist > li')) li.classList.toggle('active', Number(li.dataset.rid) === rid);
}
