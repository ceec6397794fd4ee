// Dates, numbers, sizes and names as a person reads them (the browser's locale).

export const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });

export const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export const shortFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

export const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export const monthFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long' });

export const monthKey = (iso) => (iso ? iso.slice(0, 7) : 'undated');

export const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

export const asDate = (iso) => (iso ? new Date(iso) : null);

export const dayKey = (iso) => (iso ? new Date(iso).toDateString() : 'undated');

export const fmtDay = (iso) => (iso ? dayFmt.format(new Date(iso)) : 'Without a date');

export const fmtTime = (iso) => (iso ? timeFmt.format(new Date(iso)) : '');

export const fmtShort = (iso) => (iso ? shortFmt.format(new Date(iso)) : '');

export const fmtFull = (iso) => (iso ? fullFmt.format(new Date(iso)) : '');

export const num = (n) => Number(n || 0).toLocaleString();

export const plural = (n, word) => `${num(n)} ${word}${Number(n) === 1 ? '' : 's'}`;

export function fmtSize(bytes) {
  if (!bytes) return '';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = bytes;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i += 1; }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// A length in seconds as a clock shows it: 0:42, 12:05, 1:02:03.
export function fmtDuration(seconds) {
  const total = Math.round(Number(seconds) || 0);
  const hours = Math.floor(total / 3600);
  const mm = String(Math.floor((total % 3600) / 60));
  const ss = String(total % 60).padStart(2, '0');
  return hours ? `${hours}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export const humanize = (name) => name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

// The first letters of the first two words ("Sam Carter" → "SC", "王小明" → "王"), as the report's initials.
export const initials = (name) => (String(name || '').trim().split(/\s+/).slice(0, 2).map((p) => [...p][0] || '').join('') || '?').toUpperCase();
// A colour of its own for each person's initials (0–7: the .face.c0 … classes).
export const colourOf = (key) => { let n = 0; for (const c of String(key)) n = (n * 31 + c.codePointAt(0)) >>> 0; return n % 8; };

// "iPhone 13 (iPhone14,5)" when the backup names the model, else the identifier alone.
export const deviceModel = (name, type) => (name && type && name !== type ? `${name} (${type})` : name || type || '');
