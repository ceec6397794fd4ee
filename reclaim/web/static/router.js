// The address (#/…) to the view: every screen is reachable by its link and the browser's Back.

import { $ } from './dom.js';
import { S } from './state.js';
import { startScreen } from './views/start.js';
import { scanScreen } from './views/scan.js';
import { browse } from './views/browse.js';
import { linksScreen } from './views/links.js';
import { searchScreen } from './views/search.js';

export async function route(force = false) {
  if (force) S.view = null;
  const hash = location.hash.slice(1) || '/';
  const [path, query] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  // The search box shows the words of the results on screen only: elsewhere it would look like a filter.
  if (parts[0] !== 'search') $('#search-input').value = '';
  if (parts[0] === 'scan') return scanScreen();
  if (parts[0] === 'start') return startScreen();
  if (!S.kinds.length) return undefined;
  if (parts[0] === 'search') return searchScreen(new URLSearchParams(query || ''));
  if (parts[0] === 'links') return linksScreen(parts[1] === 'r' ? Number(parts[2]) : null);
  if (parts[0] === 'k') return browse(parts[1], parts[2], parts[3]);
  return browse(null);
}
