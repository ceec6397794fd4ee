// Locked notes: the banner above the notes and the dialog that takes the notes password.

import { api } from '../api.js';
import { $, h } from '../dom.js';
import { plural } from '../format.js';
import { S } from '../state.js';

export async function lockedNotesBanner(slot) {
  let info;
  try { info = await api('/api/notes/locked'); } catch (err) { return; }
  const passcode = info.passcode
    ? h('p', { class: 'small', text: `${plural(info.passcode, 'note')} ${info.passcode === 1 ? 'is' : 'are'} locked with the iPhone passcode: no notes password can open ${info.passcode === 1 ? 'it' : 'them'} here.` })
    : null;
  if (!info.locked) {
    if (passcode) slot.replaceChildren(h('div', { class: 'banner lock' }, passcode));
    return;
  }
  const what = `${plural(info.locked, 'note')} ${info.locked === 1 ? 'is' : 'are'} locked with a password.`;
  slot.replaceChildren(h('div', { class: 'banner lock' }, passcode,
    h('p', {}, h('strong', { text: what }), info.hints.length ? ` Hint: “${info.hints.join('”, “')}”.` : ''),
    info.tried && info.wrong ? h('p', { class: 'bad small', role: 'alert', text: `The password${info.tried === 1 ? '' : 's'} you typed did not unlock ${info.wrong === 1 ? 'it' : 'them'}.` }) : null,
    info.can_unlock
      ? h('button', { class: 'btn small', type: 'button', text: 'Unlock notes…', onclick: () => unlockDialog(info) })
      : h('p', { class: 'muted small', text: 'Open the backup they came from to unlock them.' })));
}

export function unlockDialog(info = null) {
  const dlg = $('#unlock-dialog');
  const input = h('input', { id: 'note-password', type: 'password', autocomplete: 'off', required: true });
  const result = h('p', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const go = h('button', { class: 'btn primary', type: 'submit', text: 'Unlock' });
  dlg.replaceChildren(h('form', { onsubmit: async (e) => {
    e.preventDefault();
    const password = input.value;
    input.value = '';
    go.disabled = true;
    result.className = 'result';
    result.textContent = 'Starting…';
    try {
      await api('/api/notes/unlock', { method: 'POST', body: { password } });
      dlg.close();
      S.afterScan = '#/k/notes';
      location.hash = '#/scan';
    } catch (err) {
      result.textContent = err.message;
      result.classList.add('bad');
    }
    go.disabled = false;
  } },
  h('h2', { id: 'unlock-title', text: 'Unlock locked notes' }),
  h('p', { text: 'Type the password used to lock notes in the Notes app. reclaim reads the backup again and shows every note it opens.' }),
  info && info.hints && info.hints.length ? h('p', { class: 'muted', text: `Hint: “${info.hints.join('”, “')}”` }) : null,
  h('label', { for: 'note-password', text: 'Notes password' }), input,
  h('p', { class: 'muted small', text: 'The password stays in this program’s memory until you stop it: it is not saved, shown or sent anywhere. You can type several, one after the other.' }),
  result,
  h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'button', text: 'Cancel', onclick: () => dlg.close() }), go)));
  dlg.showModal();
  input.focus();
}
