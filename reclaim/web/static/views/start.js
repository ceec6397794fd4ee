// Start: the backups on this computer, a path to type, the password of an encrypted backup.

import { api } from '../api.js';
import { $, badge, h } from '../dom.js';
import { deviceModel, fmtFull, fmtSize, initials } from '../format.js';
import { S } from '../state.js';
import { show, showDevice } from '../layout.js';

export async function startScreen(message = '', preset = null) {
  show('start');
  const root = $('#screen-start');
  const list = h('ul', { class: 'backups', 'aria-busy': 'true' }, h('li', { class: 'muted', text: 'Looking for backups…' }));
  const pathInput = h('input', { id: 'path-input', type: 'text', placeholder: '/path/to/backup or extraction.zip',
    autocomplete: 'off', spellcheck: 'false', value: preset || '' });
  const pwPanel = h('div', { class: 'password', hidden: true });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', text: message });
  const deep = h('input', { type: 'checkbox', id: 'deep-scan' });
  deep.checked = true;
  const open = (path, password) => openSource(path, password, { status, pwPanel, deep });
  root.replaceChildren(h('div', { class: 'start' },
    // Came here from a case ("Open another backup"): a way back to it without reading anything again.
    S.kinds.length ? h('a', { class: 'back-to-case', href: '#/', text: '‹ Back to what was found' }) : null,
    h('h1', { text: 'Take your data back from your iPhone' }),
    h('p', { class: 'lede', text: 'Choose a backup of your iPhone. reclaim only reads it: nothing is changed, and nothing leaves this computer.' }),
    status,
    pwPanel,
    h('h2', { text: 'Backups on this computer' }),
    list,
    h('h2', { text: 'Or open another backup, extraction or database' }),
    h('form', { class: 'pathform', onsubmit: (e) => { e.preventDefault(); open(pathInput.value.trim()); } },
      h('label', { for: 'path-input', text: 'Location on this computer' }),
      h('div', { class: 'row' }, pathInput, h('button', { class: 'btn primary', type: 'submit', text: 'Open' }))),
    h('label', { class: 'check deep', for: 'deep-scan' }, deep,
      h('span', {}, 'Also recover deleted items ', h('span', { class: 'muted', text: '(a deeper scan: slower on big backups)' }))),
  ));
  if (preset) open(preset);
  try {
    const { backups, unreadable = [] } = await api('/api/backups');
    list.replaceChildren();
    list.removeAttribute('aria-busy');
    for (const why of unreadable) list.append(h('li', { class: 'empty warn', text: why.charAt(0).toUpperCase() + why.slice(1) }));
    if (!backups.length && !unreadable.length) {
      list.append(h('li', { class: 'empty', text: 'No backups found in the usual places. Make one with Finder (Mac) or Apple Devices / iTunes (Windows), or type where it is below.' }));
    }
    for (const b of backups) {
      list.append(h('li', {}, h('button', { class: 'backup', type: 'button', onclick: () => open(b.path) },
        h('span', { class: 'avatar', text: initials(b.name) }),
        h('span', { class: 'meta' },
          h('strong', { text: b.name }),
          h('span', { text: [deviceModel(b.product_name, b.product_type), b.product_version && `iOS ${b.product_version}`].filter(Boolean).join(' · ') }),
          h('span', { class: 'muted', text: [b.date && fmtFull(b.date), fmtSize(b.size)].filter(Boolean).join(' · ') })),
        b.encrypted ? badge('Encrypted', 'lock') : badge('Not encrypted', 'plain'))));
    }
  } catch (err) {
    list.replaceChildren(h('li', { class: 'empty', text: `Could not look for backups: ${err.message}` }));
  }
}

export async function openSource(path, password, ui) {
  if (!path) { ui.status.textContent = 'Type where the backup is, or choose one above.'; return; }
  ui.status.textContent = password ? 'Unlocking… (this takes a few seconds)' : 'Opening…';
  ui.status.classList.remove('bad');
  try {
    const body = { path, deleted: ui.deep.checked };
    if (password) body.password = password;
    const { source } = await api('/api/open', { method: 'POST', body });
    S.source = source;
    showDevice(source);
    location.hash = '#/scan';
  } catch (err) {
    if (err.data && err.data.needs_password) {
      askPassword(path, err.data.wrong, ui);
      ui.status.textContent = '';
    } else {
      ui.status.textContent = err.message;
      ui.status.classList.add('bad');
    }
  }
}

export function askPassword(path, wrong, ui) {
  const input = h('input', { id: 'password-input', type: 'password', autocomplete: 'current-password', required: true });
  ui.pwPanel.hidden = false;
  ui.pwPanel.replaceChildren(h('form', {
    onsubmit: (e) => {
      e.preventDefault();
      const value = input.value;
      input.value = '';
      openSource(path, value, ui);
    },
  },
  h('input', { type: 'text', name: 'username', autocomplete: 'username', value: path, hidden: true, readonly: true }),
  h('h2', { text: 'This backup is encrypted' }),
  wrong ? h('p', { class: 'bad', role: 'alert', text: 'That password does not unlock this backup. Try again.' }) : null,
  h('p', { class: 'muted', text: 'Type the password you chose when you turned on “Encrypt local backup”. It is used once to unlock the backup and is not stored.' }),
  h('label', { for: 'password-input', text: 'Backup password' }),
  h('div', { class: 'row' }, input, h('button', { class: 'btn primary', type: 'submit', text: 'Unlock' })),
  h('p', { class: 'muted small', text: path })));
  input.focus();
}
