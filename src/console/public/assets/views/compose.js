// @ts-check
import { h, replace, seg, qs, fmtMs, fmtBytes, pageHead, errorBox, status, toast } from '../lib/dom.js';
import { get, post } from '../lib/api.js';
import { xmlPanel } from '../lib/xml.js';
import { formTree, collect } from '../lib/form.js';

/**
 * The request composer (operators): pick a SID and an operation, fill the form generated from the
 * bundle's XSD (GET /admin/compose/:sid/:operation) or paste the XML, choose the system to sign as
 * (GET /admin/compose/identities), send (POST /admin/compose/send), and read the request and the
 * answer, with a link to the exchange's message view. An ACCEPT offers the PING that follows it.
 * Files may be attached: the server zips them, signs each as the chosen system and sends them as
 * an AppDocument, inline or as an MTOM part (docs/composer.md, "Attachments").
 */

/** @typedef {import('../lib/form.js').FormNode} FormNode */

const CONSUMER_STATUSES = ['REQUEST', 'PING', 'CANCEL'];

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading the services…'));
  replace(ctx.main, pageHead('Request composer', 'Write a request to a SID, sign it as a system, send it through the gateway'), body);
  let services, identities;
  try {
    [services, identities] = await Promise.all([get('/compose/services'), get('/compose/identities').catch((e) => { toast(`signing identities: ${e.message}`, 'bad'); return []; })]);
  } catch (e) {
    return void replace(body, errorBox(e));
  }
  if (!ctx.alive()) return;
  if (!services.length) return void replace(body, h('p', { class: 'empty' }, 'No services are registered.'));

  const sidSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'compose-sid', name: 'sid' }, services.map((x) => h('option', { value: x.sid }, `${x.sid} · ${x.title ?? x.mnemonic}`))));
  const opSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'compose-operation', name: 'operation' }));
  // a requester signs as their department's systems only (the server lists only those, and refuses others)
  const requester = ctx.me.role === 'requester';
  const signSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'compose-sign', name: 'signAs' },
    requester ? null : h('option', { value: '' }, '— unsigned —'),
    identities.map((x) => h('option', { value: x.mnemonic }, `${x.mnemonic} · ${x.name ?? ''}${x.algorithm ? ` (${x.algorithm})` : ''}`))));
  // the system to sign as: the last one chosen, else the first that provides no service (a consumer)
  const providers = new Set(services.map((x) => x.provider?.mnemonic));
  const remembered = localStorage.getItem('compose-signAs');
  signSel.value = identities.some((x) => x.mnemonic === remembered) ? /** @type {string} */ (remembered) : (identities.find((x) => !providers.has(x.mnemonic)) ?? identities[0])?.mnemonic ?? '';
  signSel.addEventListener('change', () => localStorage.setItem('compose-signAs', signSel.value));
  // an unsigned request still names its sender (smev:Sender and Originator)
  const senderSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'compose-sender', name: 'sender' }, identities.map((x) => h('option', { value: x.mnemonic }, `${x.mnemonic} · ${x.name ?? ''}`))));
  senderSel.value = (identities.find((x) => !providers.has(x.mnemonic)) ?? identities[0])?.mnemonic ?? '';
  const senderField = h('label', { class: 'field' }, h('span', null, 'Sender (unsigned)'), senderSel);
  const showSender = () => { senderField.hidden = signSel.value !== '' || !identities.length; };
  signSel.addEventListener('change', showSender);
  showSender();
  const statusSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'compose-status', name: 'status' }, CONSUMER_STATUSES.map((x) => h('option', { value: x }, x))));
  const origin = /** @type {HTMLInputElement} */ (h('input', { id: 'compose-origin', name: 'originRequestIdRef', placeholder: 'the chain’s ticket, for PING', autocomplete: 'off', spellcheck: 'false' }));
  const caseNo = /** @type {HTMLInputElement} */ (h('input', { id: 'compose-case', name: 'caseNumber', autocomplete: 'off' }));
  const testMsg = /** @type {HTMLInputElement} */ (h('input', { id: 'compose-test', name: 'testMsg', type: 'checkbox' }));
  const attach = attachmentsFields();

  const formBox = h('div', { class: 'compose-form', id: 'compose-form' });
  const xmlBox = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'compose-xml', class: 'code-input', spellcheck: 'false', rows: '22', wrap: 'off' }));
  const elementBox = h('div', { class: 'appdata-element' });
  const tabForm = h('button', { type: 'button', class: 'tab active', id: 'tab-form', role: 'tab' }, 'Form');
  const tabXml = h('button', { type: 'button', class: 'tab', id: 'tab-xml', role: 'tab' }, 'XML');
  const xmlPane = h('div', { class: 'xml-pane', hidden: true },
    h('p', { class: 'muted small' }, 'The content of smev:AppData as XML; or paste a whole SOAP envelope to send it as it is (Sign as then signs it as that system).'),
    xmlBox,
    h('div', { class: 'row-actions' }, h('button', { type: 'button', class: 'small', id: 'xml-reset', onclick: () => { xmlBox.value = model?.sample ?? ''; } }, 'Reset to the sample')));
  let mode = 'form';
  const setMode = (m) => {
    mode = m;
    tabForm.classList.toggle('active', m === 'form');
    tabXml.classList.toggle('active', m === 'xml');
    formBox.hidden = m !== 'form';
    xmlPane.hidden = m !== 'xml';
  };
  tabForm.addEventListener('click', () => setMode('form'));
  tabXml.addEventListener('click', () => setMode('xml'));

  const send = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary big-button', id: 'compose-send' }, 'Send'));
  const result = h('section', { id: 'compose-result', class: 'compose-result' });
  const info = h('div', { class: 'op-info muted small' });
  /** @type {any} */
  let model = null;

  const composer = /** @type {HTMLFormElement} */ (h('form', { class: 'composer', id: 'composer' },
    h('aside', { class: 'panel compose-side' },
      h('label', { class: 'field' }, h('span', null, 'SID'), sidSel),
      h('label', { class: 'field' }, h('span', null, 'Operation'), opSel),
      info,
      h('label', { class: 'field' }, h('span', null, 'Sign as'), signSel),
      senderField,
      h('label', { class: 'field' }, h('span', null, 'Status'), statusSel),
      h('label', { class: 'field' }, h('span', null, 'OriginRequestIdRef'), origin),
      h('label', { class: 'field' }, h('span', null, 'CaseNumber'), caseNo),
      h('label', { class: 'check' }, testMsg, ' TestMsg (a test message)'),
      attach.box,
      send),
    h('section', { class: 'panel compose-main' },
      h('div', { class: 'tabs', role: 'tablist' }, tabForm, tabXml, h('span', { class: 'spacer' }), elementBox),
      formBox, xmlPane)));
  replace(body, composer, result);

  const fillOps = () => {
    const svc = services.find((x) => x.sid === sidSel.value);
    replace(opSel, (svc?.operations ?? []).map((o) => h('option', { value: o.name }, `${o.name} (${o.mode})`)));
  };
  let loads = 0;
  const load = async (element) => {
    const seq = ++loads;
    const svc = services.find((x) => x.sid === sidSel.value);
    const op = svc?.operations.find((o) => o.name === opSel.value);
    if (!svc || !op) return;
    statusSel.value = op.mode === 'async-get' ? 'PING' : 'REQUEST';
    replace(info, h('span', { class: `mode mode-${op.mode}` }, op.mode), ' ', svc.provider?.name ?? '', op.input ? [' · ', h('span', { class: 'mono', title: op.input.ns }, op.input.local)] : null,
      ctx.me.views.includes('passport') ? h('div', null, h('a', { id: 'compose-passport', href: `/console/passport/${seg(svc.sid)}` }, `Passport of ${svc.sid}`)) : null);
    replace(formBox, h('p', { class: 'loading' }, 'Reading the schema…'));
    model = null; // nothing is sent until the form of this choice is drawn
    let next;
    try {
      next = await get(`/compose/${seg(svc.sid)}/${seg(op.name)}${qs({ element })}`);
    } catch (e) {
      if (seq !== loads) return;
      model = null;
      replace(formBox, errorBox(e));
      xmlBox.value = '';
      return void ctx.loaded();
    }
    // a quicker answer to a later choice of SID or operation wins
    if (seq !== loads || !ctx.alive()) return;
    model = next;
    xmlBox.value = model.sample ?? '';
    const cands = model.appData?.candidates ?? [];
    replace(elementBox, cands.length > 1 ? appDataPicker(model, cands, (v) => load(v)) : null);
    replace(formBox, formTree(model.form));
    history.replaceState(null, '', `/console/compose${qs({ sid: svc.sid, operation: op.name })}`);
    ctx.loaded(); // the form of another SID or operation is drawn
  };
  sidSel.addEventListener('change', () => { fillOps(); void load(); });
  opSel.addEventListener('change', () => void load());

  composer.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!model) return;
    /** @type {Record<string, any>} */
    const req = {
      sid: sidSel.value, operation: opSel.value, signAs: signSel.value || null, sender: signSel.value ? undefined : senderSel.value || undefined, status: statusSel.value,
      testMsg: testMsg.checked || undefined, caseNumber: caseNo.value.trim() || undefined, originRequestIdRef: origin.value.trim() || undefined,
    };
    const element = /** @type {HTMLSelectElement | null} */ (elementBox.querySelector('select'))?.value;
    if (element) req.element = element;
    if (mode === 'xml') {
      const x = xmlBox.value;
      if (/^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<([\w.-]+:)?Envelope[\s>]/.test(x)) req.envelope = x;
      else req.appData = x;
    } else {
      req.values = collect(formBox);
    }
    send.disabled = true;
    send.textContent = 'Sending…';
    replace(result, h('p', { class: 'loading' }, 'Sending through the gateway…'));
    try {
      const attachments = await attach.value();
      if (attachments) req.attachments = attachments;
      const out = await post('/compose/send', req);
      replace(result, answerView(out, ctx.me, (ticket) => {
        const svc = services.find((x) => x.sid === sidSel.value);
        const get = svc?.operations.find((o) => o.mode === 'async-get');
        if (get && get.name !== opSel.value) {
          opSel.value = get.name;
          void load().then(() => { statusSel.value = 'PING'; origin.value = ticket; });
        } else {
          statusSel.value = 'PING';
          origin.value = ticket;
        }
        origin.focus();
        toast('Ready to PING: press Send', 'info');
      }));
      result.scrollIntoView({ behavior: 'smooth', block: 'start' });
    } catch (e) {
      replace(result, errorBox(e));
    } finally {
      send.disabled = false;
      send.textContent = 'Send';
    }
  });

  const wantSid = ctx.query.get('sid');
  if (wantSid && services.some((x) => x.sid === wantSid)) sidSel.value = wantSid;
  fillOps();
  const wantOp = ctx.query.get('operation');
  if (wantOp && [...opSel.options].some((o) => o.value === wantOp)) opSel.value = wantOp;
  await load();
}

function appDataPicker(model, cands, pick) {
  const key = (q) => `{${q.ns}}${q.local}`;
  const tail = (ns) => ns.replace(/[/#:]+$/, '').split(/[/#:]/).pop();
  const twice = (q) => cands.filter((c) => c.local === q.local).length > 1;
  const sel = /** @type {HTMLSelectElement} */ (h('select', { id: 'compose-element', title: 'the element under smev:AppData' },
    cands.map((q) => h('option', { value: key(q), title: q.ns }, twice(q) ? `${q.local} (${tail(q.ns)})` : q.local))));
  if (model.appData?.element) sel.value = key(model.appData.element);
  sel.addEventListener('change', () => pick(sel.value));
  return h('label', { class: 'inline small' }, 'AppData element ', sel);
}

/** The answer: its outcome, and the request and the answer side by side. */
function answerView(out, me, ping) {
  const answerStatus = /<(?:[\w.-]+:)?Status>\s*([A-Z]+)\s*</.exec(out.response ?? '')?.[1];
  const ticket = /<(?:[\w.-]+:)?RequestIdRef>\s*([^<\s]+)\s*</.exec(out.response ?? '')?.[1];
  return h('div', null,
    h('div', { class: 'page-head' }, h('h2', null, 'Answer'),
      h('div', { class: 'actions' },
        answerStatus === 'ACCEPT' && ticket ? h('button', { type: 'button', id: 'compose-ping', onclick: () => ping(ticket) }, 'PING this chain') : null,
        out.requestId && me.views.includes('requests') ? h('a', { class: 'button', id: 'compose-my-request', href: `/console/requests/${seg(out.requestId)}` }, 'Open in my requests') : null,
        out.exchangeId && me.views.includes('message') ? h('a', { class: 'button primary', id: 'compose-exchange', href: `/console/exchange/${seg(out.exchangeId)}` }, 'Open the exchange') : null)),
    h('div', { class: 'summary-cards', id: 'compose-outcome' },
      h('div', { class: 'card' }, h('div', { class: 'card-label' }, 'HTTP'), h('div', { class: `card-value ${out.httpStatus >= 400 ? 'bad' : ''}` }, String(out.httpStatus))),
      h('div', { class: 'card' }, h('div', { class: 'card-label' }, 'Status'), h('div', { class: 'card-value' }, out.fault ? h('span', { class: 'fault' }, out.fault.code || 'SOAP fault') : status(answerStatus ?? null))),
      h('div', { class: 'card' }, h('div', { class: 'card-label' }, 'Took'), h('div', { class: 'card-value' }, fmtMs(out.ms))),
      h('div', { class: 'card wide' }, h('div', { class: 'card-label' }, 'MessageId'), h('div', { class: 'card-value mono small' }, out.messageId ?? '—')),
      out.attachments ? h('div', { class: 'card wide', id: 'compose-attachments-sent' }, h('div', { class: 'card-label' }, 'AppDocument'),
        h('div', { class: 'card-value small' }, out.attachments.mode === 'mtom' ? `MTOM part ${out.attachments.contentId}` : 'inline BinaryData', ` · ZIP of ${out.attachments.files.length} entries`)) : null),
    out.fault ? h('div', { class: 'notice bad', role: 'alert' }, h('b', null, out.fault.code ? `${out.fault.code}: ` : 'Fault: '), out.fault.string) : null,
    h('div', { class: 'side-by-side' },
      h('section', { class: 'panel', id: 'compose-request' }, h('h3', null, 'Request sent'), xmlPanel(out.request ?? '')),
      h('section', { class: 'panel', id: 'compose-response' }, h('h3', null, 'Answer received'), xmlPanel(out.response ?? ''))));
}

// --- attached files ---------------------------------------------------------------------------

/**
 * Files to attach, how (inline or MTOM), the RequestCode and an optional request document; their
 * bytes go to the server as base64 (its limit, SMEV2_COMPOSE_ATTACHMENT_BYTES, is said in its refusal).
 */
function attachmentsFields() {
  const files = /** @type {HTMLInputElement} */ (h('input', { id: 'compose-files', type: 'file', multiple: true }));
  const request = /** @type {HTMLInputElement} */ (h('input', { id: 'compose-request-doc', type: 'file', accept: '.xml,text/xml,application/xml' }));
  const mode = /** @type {HTMLSelectElement} */ (h('select', { id: 'compose-attach-mode' },
    h('option', { value: 'mtom' }, 'MTOM: a multipart/related part'), h('option', { value: 'inline' }, 'Inline: AppDocument/BinaryData')));
  const code = /** @type {HTMLInputElement} */ (h('input', { id: 'compose-request-code', placeholder: 'a random UUID', autocomplete: 'off', spellcheck: 'false' }));
  const list = h('ul', { id: 'compose-file-list' });
  const clear = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'small link', id: 'compose-files-clear' }, 'Remove all'));
  const chosen = () => [...(files.files ?? [])];
  const draw = () => {
    replace(list, chosen().map((f) => h('li', null, h('span', { class: 'mono' }, f.name), h('span', { class: 'muted' }, ' ', fmtBytes(f.size)))));
    clear.hidden = !chosen().length && !request.files?.length;
  };
  files.addEventListener('change', draw);
  request.addEventListener('change', draw);
  clear.addEventListener('click', () => { files.value = ''; request.value = ''; draw(); });
  draw();
  const box = h('details', { class: 'compose-files', id: 'compose-attachments' },
    h('summary', null, 'Attached files'),
    h('p', { class: 'muted small' }, 'Zipped, each signed as the system above (<file>.sig), sent as an AppDocument.'),
    h('label', { class: 'field' }, h('span', null, 'Files'), files), list,
    h('label', { class: 'field' }, h('span', null, 'Carried'), mode),
    h('label', { class: 'field' }, h('span', null, 'RequestCode'), code),
    h('label', { class: 'field' }, h('span', null, 'Request document (req_<RequestCode>.xml)'), request),
    clear);
  /** @returns {Promise<Record<string, any> | undefined>} */
  const value = async () => {
    const doc = request.files?.[0];
    if (!chosen().length && !doc) return undefined;
    return {
      mode: mode.value, requestCode: code.value.trim() || undefined,
      files: await Promise.all(chosen().map(async (f) => ({ name: f.name, content: await base64Of(f) }))),
      requestDocument: doc ? await base64Of(doc) : undefined,
    };
  };
  return { box, value };
}

/** A file's bytes as base64, converted a slice at a time (String.fromCharCode takes a bounded argument list). @param {Blob} f */
async function base64Of(f) {
  const bytes = new Uint8Array(await f.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

