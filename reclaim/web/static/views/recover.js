// Recover: the dialog that saves the chosen items (or everything) into a folder or a zip.

import { api } from '../api.js';
import { $, h } from '../dom.js';
import { fmtSize, num, plural } from '../format.js';
import { S, selCount, updateSelCount } from '../state.js';
import { route } from '../router.js';

export const FORMAT_LABELS = { html: 'Pages to read (HTML)', json: 'Data (JSON Lines)', csv: 'Spreadsheet (CSV)', vcard: 'Contacts (vCard)',
  ics: 'Calendar (ICS)', txt: 'Text transcripts', md: 'Notes (Markdown)', eml: 'E-mail (EML)', media: 'Photos and videos (files)',
  links: 'Links and QR codes (list)', 'html-bookmarks': 'Bookmarks (for any web browser)', notes: 'Notes (files to open)' };

export function recoverDialog() {
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
    if (!toZip.checked && !folder.value.trim()) {
      result.className = 'result bad';
      result.textContent = 'Type the folder to save into (for example /home/you/Recovered), or choose “As a zip file to download”.';
      folder.focus();
      return;
    }
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
