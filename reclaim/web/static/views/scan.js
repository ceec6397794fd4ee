// Scan: the progress of each kind while the backup is read (server-sent events), cancel.

import { api } from '../api.js';
import { $, h } from '../dom.js';
import { num } from '../format.js';
import { S } from '../state.js';
import { show } from '../layout.js';
import { route } from '../router.js';
import { startScreen } from './start.js';
import { loadCase } from './browse.js';

export function scanScreen() {
  show('scan');
  const root = $('#screen-scan');
  const bar = h('progress', { max: 1, value: 0, 'aria-label': 'Overall progress' });
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const list = h('ul', { class: 'progress-list' });
  const cancel = h('button', { class: 'btn', type: 'button', text: 'Cancel scan',
    onclick: async () => { cancel.disabled = true; await api('/api/scan/cancel', { method: 'POST' }); } });
  root.replaceChildren(h('div', { class: 'scan' },
    h('h1', { text: 'Looking through the backup…' }),
    h('p', { class: 'lede', text: 'reclaim reads every kind of data, including deleted records still inside the phone’s databases.' }),
    bar, summary, list, h('div', { class: 'actions' }, cancel)));
  const events = new EventSource('/api/scan/events');
  const rows = {};
  events.onmessage = (e) => {
    const job = JSON.parse(e.data);
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    summary.textContent = `${job.done} of ${job.total} kinds · ${job.seconds} s`;
    for (const k of job.kinds) {
      if (!rows[k.kind]) {
        rows[k.kind] = {
          li: h('li', { class: 'waiting' }),
          count: h('span', { class: 'count' }),
          bar: h('div', { class: 'kbar', role: 'progressbar', 'aria-label': k.title }),
        };
        rows[k.kind].li.append(h('span', { class: 'name', text: k.title }), rows[k.kind].count, rows[k.kind].bar);
        list.append(rows[k.kind].li);
      }
      const row = rows[k.kind];
      row.li.className = k.state;
      row.count.textContent = k.state === 'waiting' ? 'waiting' : (k.state === 'running' && !k.count ? 'looking…' : `${num(k.count)} found`);
      row.bar.setAttribute('aria-valuetext', k.state);
    }
    if (job.state !== 'running') {
      events.close();
      if (job.state === 'done') {
        loadCase().then(() => {
          location.hash = S.afterScan || '#/';
          S.afterScan = null;
          route(true);
        });
      }
      else if (job.state === 'cancelled') startScreen('Scan cancelled.');
      else {
        summary.textContent = `The scan stopped: ${job.error}`;
        summary.classList.add('bad');
        cancel.textContent = 'Back';
        cancel.disabled = false;
        cancel.onclick = () => startScreen();
      }
    }
  };
  events.addEventListener('none', () => { events.close(); startScreen(); });
}
