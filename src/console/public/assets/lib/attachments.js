// @ts-check
import { h, replace, fmtBytes, verdict, verdictKind, errorBox, table } from './dom.js';
import { get } from './api.js';

/**
 * A leg's attachments (GET /admin/journal/:id/attachments, issue 16): each AppDocument, inline or
 * an MTOM part, with its DigestValue's verdict, the files of its ZIP with their sizes, SHA-256 and
 * signatures' verdicts (algorithm, signer, the certificate trusted or why not), the request
 * document's schema verdict; a download of the part, of the ZIP and of each file. The panel
 * draws itself once the list arrives and stays hidden for a leg that carried nothing.
 */

/**
 * @param {number} legId
 * @param {string} [base] the same routes under another path: `/inbox/<ticket>` for a request of the inbox
 */
export function attachmentsPanel(legId, base = '') {
  const box = h('section', { class: 'attachments', id: 'attachments', hidden: true });
  // another leg chosen meanwhile: this panel is gone from the page
  const alive = () => box.isConnected;
  void (async () => {
    let a;
    try {
      a = await get(`${base}/journal/${legId}/attachments`);
    } catch (e) {
      if (!alive()) return;
      box.hidden = false;
      return void replace(box, h('h3', null, 'Attachments'), errorBox(e));
    }
    if (!alive() || (!a.parts.length && !a.documents.length)) {
      box.dataset.loaded = 'none';
      return;
    }
    const shown = new Set(a.documents.map((d) => d.source));
    const loose = a.parts.filter((p) => !shown.has(`cid:${p.contentId}`));
    replace(box,
      h('div', { class: 'attachments-head' }, h('h3', null, 'Attachments'),
        h('div', { class: `verdict-box v-${verdictKind(a.verdict)}`, id: 'attachments-verdict' }, verdict(a.verdict ?? 'not judged (the SID\'s attachments policy is off)'))),
      a.documents.map((d, n) => documentView(d, n, a.parts)),
      loose.length ? partsTable(loose, a.documents.length > 0) : null);
    box.hidden = false;
    box.dataset.loaded = 'yes';
  })();
  return box;
}

/** One AppDocument: where it came from, its digest, its ZIP's files. */
function documentView(d, n, parts) {
  const part = d.source.startsWith('cid:') ? parts.find((p) => `cid:${p.contentId}` === d.source) : undefined;
  const gone = part && part.kept !== 'kept';
  const zip = d.zip;
  return h('article', { class: 'appdoc', dataset: { n: String(n), source: d.source } },
    h('div', { class: 'appdoc-head' },
      h('b', null, part ? 'MTOM part ' : 'Inline BinaryData'), part ? h('span', { class: 'mono' }, part.contentId) : null,
      d.size !== undefined ? h('span', { class: 'muted' }, ` · ${fmtBytes(d.size)}`) : null,
      h('span', { class: 'spacer' }),
      gone ? h('span', { class: 'muted' }, `part ${part.kept === 'purged' ? 'purged by retention' : 'not in the store'}`)
        : h('a', { class: 'button small download-zip', href: d.download, download: '' }, part ? 'Download the part' : 'Download the ZIP')),
    d.sha256 ? h('div', { class: 'small muted' }, 'SHA-256 ', h('span', { class: 'mono hash' }, d.sha256)) : null,
    d.digest ? h('div', { class: `digest-verdict v-${d.digest.ok ? 'ok' : 'bad'}` },
      h('b', null, 'DigestValue '), d.digest.ok ? 'ok: GOST R 34.11-94 of the part\'s base64 matches' : `fails: declared ${d.digest.declared ?? '(none)'}, the part gives ${d.digest.actual}`) : null,
    zip ? table([
      { title: 'File', cell: (f) => h('span', null, h('span', { class: 'mono' }, f.name), f.kind !== 'file' ? h('span', { class: 'muted small' }, f.kind === 'signature' ? ' signature' : ' request document') : null) },
      { title: 'Size', cls: 'num', cell: (f) => fmtBytes(f.size) },
      { title: 'SHA-256', cell: (f) => h('span', { class: 'mono hash', title: f.sha256 }, f.sha256.slice(0, 16), '…') },
      { title: 'Signature', cell: (f) => signatureCell(f) },
      { title: '', cell: (f) => (gone ? null : h('a', { class: 'button small download-file', href: f.download, download: '' }, 'Download')) },
    ], zip.files, { attrs: { class: 'grid zip-files' }, row: (f) => ({ dataset: { name: f.name } }), empty: 'The ZIP is empty.' }) : null,
    zip?.problems?.length ? h('ul', { class: 'problems' }, zip.problems.map((p) => h('li', null, h('span', { class: 'mono' }, p.fault), ' ', Object.entries(p.params).map(([k, v]) => `${k}: ${v}`).join('; ')))) : null);
}

/** A file's signature verdict: the cryptography, then the certificate; a request document's schema verdict. */
function signatureCell(f) {
  const out = [];
  if (f.kind === 'signature') return h('span', { class: 'muted' }, '—');
  const s = f.signature;
  if (!s) out.push(h('span', { class: 'sig-verdict v-none' }, 'unsigned'));
  else {
    const cert = s.certificate;
    out.push(h('span', { class: `sig-verdict v-${s.outcome === 'ok' ? (cert && !cert.trusted ? 'warn' : 'ok') : 'bad'}`, dataset: { outcome: s.outcome } },
      s.outcome === 'ok' ? 'ok' : `fails: ${s.reason ?? ''}`),
    h('div', { class: 'small' },
      s.algorithm ? h('span', { class: 'sig-algorithm' }, s.algorithm) : null,
      s.signer ? [' · ', h('span', { class: 'sig-signer', title: s.signer }, s.system ?? s.signer)] : null,
      s.signedAt ? h('span', { class: 'muted' }, ` · ${s.signedAt}`) : null),
    cert ? h('div', { class: `small sig-certificate ${cert.trusted ? 'v-ok' : 'v-bad'}` }, cert.trusted ? 'certificate trusted' : `certificate not trusted: ${cert.reason ?? ''}`) : null);
  }
  if (f.schema) out.push(h('div', { class: `small schema-verdict v-${f.schema.outcome === 'ok' ? 'ok' : 'bad'}` }, `schema ${f.schema.outcome === 'ok' ? 'ok' : `fails: ${f.schema.reason ?? ''}`}`));
  return h('div', null, out);
}

/** Parts no AppDocument of this leg names (a message may carry more; a leg sent on is not judged again). */
function partsTable(parts, others) {
  return h('div', { class: 'loose-parts' }, h('h4', null, others ? 'Other MIME parts' : 'MIME parts'), table([
    { title: 'Content-ID', cell: (p) => h('span', { class: 'mono' }, p.contentId ?? '—') },
    { title: 'Type', cell: (p) => p.contentType },
    { title: 'Size', cls: 'num', cell: (p) => fmtBytes(p.size) },
    { title: 'SHA-256', cell: (p) => h('span', { class: 'mono hash', title: p.sha256 }, p.sha256.slice(0, 16), '…') },
    { title: '', cell: (p) => (p.kept === 'kept' ? h('a', { class: 'button small download-part', href: p.download, download: '' }, 'Download') : h('span', { class: 'muted' }, p.kept)) },
  ], parts));
}
