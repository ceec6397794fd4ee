// Conversations: the chat list, a thread of bubbles with days, senders, quotes and attachments.

import { api, qs } from '../api.js';
import { $, badge, h, recoveredBadge } from '../dom.js';
import { colourOf, dayKey, fmtDay, fmtShort, fmtTime, initials, num, plural } from '../format.js';
import { S, selectBox } from '../state.js';
import { backButton, emptyList, infinite, paneHead, stopLoaders } from '../layout.js';
import { attachment, card } from './media.js';

export function chatList(k) {
  const pane = $('#listpane');
  const ul = h('ul', { class: 'chatlist' });
  const sentinel = h('div', { class: 'sentinel', text: 'Loading…' });
  const filter = h('input', { type: 'search', placeholder: 'Find a conversation', 'aria-label': 'Find a conversation' });
  const countEl = h('span', { class: 'muted' });
  pane.replaceChildren(paneHead(k.title, countEl), h('div', { class: 'pane-tools' }, filter), h('div', { class: 'scroll', id: 'list-scroll' }, ul, sentinel));
  let next = 0;
  const load = async () => {
    const data = await api(`/api/kinds/${encodeURIComponent(k.kind)}/chats${qs({ offset: next, limit: 100, q: filter.value })}`);
    countEl.textContent = plural(data.total, 'conversation');
    for (const c of data.chats) {
      if (S.onlyDeleted && !c.deleted) continue;
      const href = `#/k/${encodeURIComponent(k.kind)}/c/${encodeURIComponent(c.chat_id ?? '')}`;
      ul.append(h('li', { dataset: { chat: c.chat_id ?? '' } },
        selectBox(k.kind, 'chats', c.chat_id, `Select the whole conversation ${c.chat}`),
        h('a', { href, class: 'chat' },
          c.picture ? h('img', { class: 'avatar', src: `/api/thumb/${c.picture}`, alt: '', loading: 'lazy' })
            : h('span', { class: 'avatar', text: initials(c.chat) }),
          h('span', { class: 'meta' },
            h('span', { class: 'top' }, h('strong', { text: c.chat }), h('time', { datetime: c.last || '', text: fmtShort(c.last) })),
            h('span', { class: 'last', text: c.last_text || c.last || '' }),
            h('span', { class: 'sub' }, plural(c.messages, 'message'), c.deleted ? badge(`${num(c.deleted)} recovered`, 'recovered') : null,
              c.missing ? h('span', { class: 'gone', title: 'Pictures and files the phone no longer had (apps clear them to save space): marked where they were sent', text: `${plural(c.missing, 'file')} gone` }) : null)))));
    }
    if (S.onlyDeleted) {
      // The list is filtered here, page by page: say how many are shown, not how many there are.
      const shown = ul.children.length;
      countEl.textContent = `${num(shown)}${data.next === null ? '' : '+'} of ${plural(data.total, 'conversation')}, with recovered messages`;
    }
    if (data.next === null) {
      if (!ul.children.length) ul.after(filter.value ? h('p', { class: 'empty-list', role: 'status', text: `No conversation is called “${filter.value}”.` }) : emptyList());
      return false;
    }
    next = data.next;
    return true;
  };
  let timer = null;
  filter.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { S.view = null; chatListReload(k, filter.value); }, 250);
  });
  infinite($('#list-scroll'), sentinel, load);
}

export function chatListReload(k, text) {
  chatList(k);
  const input = $('#listpane .pane-tools input');
  input.value = text;
  input.focus();
  S.view = { kind: k.kind, deleted: S.onlyDeleted, mode: 'kind' };
}

export function isGroup(messages, chatName) {
  const senders = new Set(messages.filter((m) => m.direction === 'incoming').map((m) => m.sender));
  return senders.size > 1 || [...senders].some((s) => s && s !== chatName);
}

export async function conversation(k, chatId, aroundRid = null) {
  stopLoaders('detail');
  const pane = $('#detailpane');
  for (const li of document.querySelectorAll('.chatlist li')) li.classList.toggle('active', li.dataset.chat === chatId);
  const thread = h('div', { class: 'thread', role: 'log', 'aria-label': 'Messages' });
  const scroller = h('div', { class: 'scroll thread-scroll' }, thread);
  const title = h('h2', { text: '…' });
  const selectToggle = h('button', { class: 'btn small', type: 'button', 'aria-pressed': 'false', text: 'Select',
    title: 'Tick single messages to recover',
    onclick: () => {
      const on = thread.classList.toggle('selecting');
      selectToggle.setAttribute('aria-pressed', String(on));
      selectToggle.textContent = on ? 'Done' : 'Select';
    } });
  const sub = h('span', { class: 'muted' });
  pane.replaceChildren(h('div', { class: 'conv-head' }, backButton(), h('div', { class: 'who' }, title, sub),
    selectBox(k.kind, 'chats', chatId, 'Select the whole conversation'), selectToggle), scroller);
  const url = aroundRid
    ? `/api/records/${aroundRid}/around${qs({ limit: 80 })}`
    : `/api/kinds/${encodeURIComponent(k.kind)}/records${qs({ chat: chatId, limit: 80, deleted: S.onlyDeleted ? 1 : null })}`;
  const data = await api(url);
  const messages = aroundRid ? data.items : data.items.slice().reverse();
  const chatName = (messages.find((m) => m.chat) || {}).chat || chatId;
  title.textContent = chatName;
  const group = isGroup(messages, chatName);
  sub.textContent = group ? 'Group conversation' : '';
  let older = data.older;
  const pictures = { ...(data.pictures || {}) };
  const top = h('div', { class: 'sentinel top' });
  const render = (list, prepend) => {
    const frag = document.createDocumentFragment();
    let prev = null;
    for (const m of list) { frag.append(...bubble(k, m, prev, group, pictures)); prev = m; }
    if (prepend) {
      const before = scroller.scrollHeight;
      thread.insertBefore(frag, top.nextSibling);
      scroller.scrollTop += scroller.scrollHeight - before;
    } else thread.append(frag);
  };
  thread.append(top);
  render(messages, false);
  if (aroundRid) {
    const target = thread.querySelector(`[data-rid="${aroundRid}"]`);
    if (target) { target.classList.add('hit'); target.scrollIntoView({ block: 'center' }); }
  } else scroller.scrollTop = scroller.scrollHeight;
  let newer = aroundRid ? data.newer : null;
  if (older) {
    infinite(scroller, top, async () => {
      const page = await api(`/api/kinds/${encodeURIComponent(k.kind)}/records${qs({ chat: chatId, before: older, limit: 80, deleted: S.onlyDeleted ? 1 : null })}`);
      Object.assign(pictures, page.pictures || {});
      render(page.items.slice().reverse(), true);
      older = page.older;
      if (!older) top.remove();
      return Boolean(older);
    }, 'detail');
  } else top.remove();
  if (newer) {
    const bottom = h('div', { class: 'sentinel' });
    thread.append(bottom);
    infinite(scroller, bottom, async () => {
      const page = await api(`/api/kinds/${encodeURIComponent(k.kind)}/records${qs({ chat: chatId, after: newer, limit: 80 })}`);
      Object.assign(pictures, page.pictures || {});
      const frag = document.createDocumentFragment();
      for (const m of page.items) frag.append(...bubble(k, m, null, group, pictures));
      thread.insertBefore(frag, bottom);
      newer = page.newer;
      return Boolean(newer);
    }, 'detail');
  }
}

export async function conversationAround(k, rid) {
  const record = await api(`/api/records/${rid}`);
  conversation(k, record.chat_id ?? record.chat, rid);
}

// The sender's profile picture when the case has one (pictures: sender id → sha256), else their initials.
function face(m, pictures) {
  const name = m.sender || m.sender_id || '';
  const sha = m.sender_id && pictures[m.sender_id];
  if (sha) return h('img', { class: 'face', src: `/api/thumb/${sha}`, alt: '', title: name, loading: 'lazy' });
  return h('span', { class: `face c${colourOf(m.sender_id || name)}`, 'aria-hidden': 'true', title: name, text: initials(name) });
}

export function bubble(k, m, prev, group, pictures = {}) {
  const out = [];
  if (!prev || dayKey(prev.date) !== dayKey(m.date)) out.push(h('div', { class: 'day', role: 'separator', text: fmtDay(m.date) }));
  const dir = ['incoming', 'outgoing', 'system'].includes(m.direction) ? m.direction : 'incoming';
  const row = h('div', { class: `msg ${dir}${m.deleted ? ' deleted' : ''}`, dataset: { rid: m._rid } });
  if (dir === 'system') {
    row.append(h('div', { class: 'sys', text: m.text || (m.card && m.card.title) || '' }));
    out.push(row);
    return out;
  }
  const showSender = group && dir === 'incoming' && (!prev || prev.sender !== m.sender || dayKey(prev.date) !== dayKey(m.date));
  const b = h('div', { class: 'bubble' });
  if (showSender) b.append(h('div', { class: 'sender', text: m.sender || m.sender_id || '' }));
  if (m.quote && (m.quote.text || m.quote.sender)) {
    b.append(h('blockquote', { class: 'quote' }, h('strong', { text: m.quote.sender || '' }), h('span', { text: m.quote.text || '' })));
  }
  const atts = m.attachments || [];
  const tag = /^\[([^\]]{1,40})\]\s*/.exec(m.text || '');
  // "[Photo]", "[Voice message 0:03]", "[Red packet] …": the app's placeholder for what is shown below.
  let text = m.text || '';
  if (tag && (m.card || atts.some((a) => !a.missing))) text = m.card && m.card.type === 'chat-history' ? text.slice(tag[0].length) : '';
  if (text) b.append(h('div', { class: 'text', text }));
  const video = atts.find((a) => !a.missing && /^video\//.test(a.mime || ''));
  const poster = video && atts.find((a) => a !== video && !a.missing && /^image\//.test(a.mime || '') && /poster|thumb/i.test(`${a.role} ${a.name}`));
  for (const a of atts) {
    if (a === poster) continue;
    b.append(attachment(a, m, { label: tag ? tag[1] : '', poster }));
  }
  if (m.card && !(m.card.type === 'sticker' && atts.some((a) => !a.missing))) b.append(card(m.card));
  const foot = h('div', { class: 'foot' });
  if (m.status) foot.append(badge(m.status, 'status'));
  if (m.deleted) foot.append(recoveredBadge());
  foot.append(h('time', { datetime: m.date || '', title: m.date || '', text: fmtTime(m.date) }));
  b.append(foot);
  row.append(selectBox(k.kind, 'rids', m._rid, `Select this message`), face(m, pictures), b);
  out.push(row);
  return out;
}
