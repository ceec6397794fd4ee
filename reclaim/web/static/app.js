// reclaim's page: choose a backup, follow the scan, browse every kind, search, select and recover.
// Everything from the case is put on the page as text (textContent), never as HTML; notes' HTML
// is shown in a sandboxed iframe served with its own restrictive policy.
// This is the entry point: the views live in views/*.js, the shared helpers beside this file.

import { api, qs } from './api.js';
import { $, toast } from './dom.js';
import { S, updateSelCount } from './state.js';
import { showDevice } from './layout.js';
import { route } from './router.js';
import { startScreen } from './views/start.js';
import { scanScreen } from './views/scan.js';
import { loadCase } from './views/browse.js';
import { recoverDialog } from './views/recover.js';

async function boot() {
  $('#recover-open').addEventListener('click', recoverDialog);
  $('#search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('#search-input').value.trim();
    if (q) location.hash = `#/search${qs({ q })}`;
  });
  window.addEventListener('hashchange', () => route());
  updateSelCount();
  const state = await api('/api/state');
  S.source = state.source;
  showDevice(state.source);
  if (state.job && state.job.state === 'running') { location.hash = '#/scan'; scanScreen(); return; }
  if (state.case) {
    await loadCase();
    if (/^#\/(scan|start)/.test(location.hash)) location.hash = '#/';
    route();
    return;
  }
  startScreen('', state.preset);
}

boot().catch((err) => toast(err.message, true));
