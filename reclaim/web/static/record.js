// What a case record holds: its media references, the browser-friendly copy of each, its title.

export const isMedia = (v) => v && typeof v === 'object' && 'sha256' in v && 'mime' in v && 'missing' in v;

export function mediaOf(record) {
  const found = [];
  const walk = (value) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (isMedia(value)) found.push(value);
  };
  for (const [key, value] of Object.entries(record)) if (key !== 'provenance') walk(value);
  return found;
}

export function shownSha(ref) {
  // A browser-friendly copy (JPEG of a HEIC, WAV of a voice message) when there is one.
  return ref.preview || ref.sha256;
}

export const mimeOf = (ref) => (ref.preview ? ref.preview_mime || ref.mime : ref.mime) || '';

export function recordTitle(r) {
  for (const key of ['name', 'title', 'subject', 'chat', 'display_name', 'filename', 'text', 'url', 'address', 'number']) {
    if (typeof r[key] === 'string' && r[key].trim()) return r[key].trim().slice(0, 140);
  }
  return r.id || 'Record';
}
