// @ts-check
import { h, replace, seg, qs, fmtMs, fmtBytes, pageHead, errorBox, status, toast } from '../lib/dom.js';
import { get, post } from '../lib/api.js';
import { xmlPanel } from '../lib/xml.js';

/**
 * The request composer (operators): pick a SID and an operation, fill the form generated from the
 * bundle's XSD (GET /admin/compose/:sid/:operation) or paste the XML, choose the system to sign as
 * (GET /admin/compose/identities), send (POST /admin/compose/send), and read the request and the
 * answer, with a link to the exchange's message view. An ACCEPT offers the PING that follows it.
 * Files may be attached: the server zips them, signs each as the chosen system and sends them as
 * an AppDocument, inline or as an MTOM part (docs/composer.md, "Attachments").
 */

/**
 * @typedef {{ name: string, ns: string, path: string, kind: 'group'|'field', minOccurs: number, maxOccurs: number|null, type?: string,
 *   enumeration?: string[], pattern?: string, minLength?: number, maxLength?: number, minInclusive?: string, maxInclusive?: string,
 *   documentation?: string, choice?: boolean, compositor?: 'sequence'|'choice', any?: boolean, fixed?: string, default?: string, list?: boolean,
 *   recursive?: boolean, truncated?: boolean, unresolved?: string, appData?: boolean, id?: string, xsiType?: { ns: string, local: string }, children?: FormNode[], attributes?: FormNode[] }} FormNode
 */

const CONSUMER_STATUSES = ['REQUEST', 'PING', 'CANCEL'];
const NUMERIC = /^(integer|int|long|short|byte|decimal|float|double|nonNegativeInteger|positiveInteger|negativeInteger|nonPositiveInteger|unsignedLong|unsignedInt|unsignedShort|unsignedByte)$/;

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
    replace(info, h('span', { class: `mode mode-${op.mode}` }, op.mode), ' ', svc.provider?.name ?? '', op.input ? [' · ', h('span', { class: 'mono', title: op.input.ns }, op.input.local)] : null);
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

// --- the form ---------------------------------------------------------------------------------

/** Every filled input's value by its instance path. @param {Element} root */
function collect(root) {
  /** @type {Record<string, string>} */
  const values = {};
  for (const el of root.querySelectorAll('[data-path]')) {
    const input = /** @type {HTMLInputElement} */ (el);
    if (input.disabled) continue;
    const v = input.value;
    if (v !== '') values[/** @type {string} */ (input.dataset.path)] = v;
  }
  return values;
}

const join = (parent, name) => (parent ? `${parent}/${name}` : name);
/**
 * An input's id from its value's path, as the server makes a form node's `id` (src/xsd/form.ts):
 * every character but ASCII letters, digits and `-` as `_<hex>_`, so Cyrillic names never collide.
 * @param {string} path
 */
const fieldId = (path) => `f-${path.replace(/[^A-Za-z0-9-]/gu, (c) => `_${/** @type {number} */ (c.codePointAt(0)).toString(16)}_`)}`;
const repeats = (n) => n.maxOccurs === null || n.maxOccurs > 1;
const required = (n) => n.minOccurs > 0;

/** @param {FormNode} root */
function formTree(root) {
  const top = root.appData || (root.name === 'AppData' && root.kind === 'group');
  const box = h('div', { class: 'form-tree' });
  if (top) box.append(...content(root.children ?? [], root.path));
  else box.append(element(root, root.path, true));
  if (!box.childElementCount) box.append(h('p', { class: 'muted' }, 'This operation’s AppData has no fields: use the XML tab.'));
  return box;
}

/** The children of an element (or a compositor), at the element's instance path. @param {FormNode[]} nodes @param {string} at */
function content(nodes, at) {
  return nodes.map((n) => {
    if (n.any) return anyField(n, at);
    if (n.compositor === 'choice') return choice(n, at);
    if (n.compositor === 'sequence') return h('div', { class: 'seq' }, n.documentation ? hint(n.documentation) : null, content(n.children ?? [], at));
    return repeats(n) ? repeated(n, at) : element(n, join(at, n.name), false);
  });
}

/** An element occurring several times: its instances, Add and Remove. */
function repeated(n, at) {
  const base = join(at, n.name);
  const list = h('div', { class: 'instances' });
  const max = n.maxOccurs ?? Infinity;
  const add = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'small add' }, `+ Add ${n.name}`));
  const count = () => list.children.length;
  const pathOf = (i) => `${base}${i > 1 ? `[${i}]` : ''}`;
  const sync = () => {
    [...list.children].forEach((inst, k) => {
      const el = /** @type {HTMLElement} */ (inst);
      const want = pathOf(k + 1);
      if (el.dataset.instance !== want) rebase(el, /** @type {string} */ (el.dataset.instance), want);
      const label = el.querySelector(':scope > .instance-head .instance-n');
      if (label) label.textContent = `${n.name} ${k + 1}`;
      const rm = /** @type {HTMLButtonElement | null} */ (el.querySelector(':scope > .instance-head .remove'));
      if (rm) rm.disabled = count() <= Math.max(n.minOccurs, 0);
    });
    add.disabled = count() >= max;
  };
  const addOne = () => {
    const i = count() + 1;
    const inst = h('div', { class: 'instance', dataset: { instance: pathOf(i) } },
      h('div', { class: 'instance-head' }, h('span', { class: 'instance-n' }, `${n.name} ${i}`),
        h('button', { type: 'button', class: 'small link remove', title: `remove this ${n.name}`, onclick: () => { inst.remove(); sync(); } }, 'Remove')),
      element(n, pathOf(i), false, true));
    list.append(inst);
    sync();
  };
  add.addEventListener('click', addOne);
  for (let i = 0; i < Math.max(1, Math.min(n.minOccurs, 20)); i++) addOne();
  return h('div', { class: 'repeated', dataset: { node: n.path } },
    h('div', { class: 'repeated-head' }, label(n), h('span', { class: 'muted small' }, ` ${n.minOccurs}…${n.maxOccurs ?? '∞'}`)),
    n.documentation ? hint(n.documentation) : null, list, add);
}

/** Rewrite the paths under an instance that moved (a sibling before it was removed). */
function rebase(el, from, to) {
  const swap = (p) => (p === from || p.startsWith(`${from}/`) || p.startsWith(`${from}[`) ? to + p.slice(from.length) : p);
  el.dataset.instance = to;
  for (const x of el.querySelectorAll('[data-path]')) {
    const input = /** @type {HTMLInputElement} */ (x);
    input.dataset.path = swap(/** @type {string} */ (input.dataset.path));
    // the id and the label's for= follow the path: a later instance must not get an id still in use
    const label = input.id ? el.querySelector(`label[for="${CSS.escape(input.id)}"]`) : null;
    const path = /** @type {string} */ (input.dataset.path);
    input.id = fieldId(path);
    input.name = path;
    if (label) /** @type {HTMLLabelElement} */ (label).htmlFor = input.id;
  }
  for (const x of el.querySelectorAll('[data-instance]')) /** @type {HTMLElement} */ (x).dataset.instance = swap(/** @type {string} */ (/** @type {HTMLElement} */ (x).dataset.instance));
}

/** An xs:choice: pick one alternative, its fields below. */
function choice(n, at) {
  const alts = n.children ?? [];
  const name = (a) => (a.compositor ? (a.children ?? []).map((c) => c.name).join(' + ') : a.name);
  const sel = /** @type {HTMLSelectElement} */ (h('select', { class: 'choice-select' },
    required(n) ? null : h('option', { value: '' }, '— none —'),
    alts.map((a, i) => h('option', { value: String(i) }, name(a)))));
  const box = h('div', { class: 'choice-body' });
  const draw = () => replace(box, sel.value === '' ? null : content([alts[Number(sel.value)]], at));
  sel.addEventListener('change', draw);
  draw();
  return h('fieldset', { class: 'choice' }, h('legend', null, 'one of', required(n) ? h('span', { class: 'req', title: 'required' }, ' *') : null), n.documentation ? hint(n.documentation) : null, sel, box);
}

/** xs:any: XML of any element. */
function anyField(n, at) {
  const path = join(at, '#any');
  const id = n.id && n.path === path ? n.id : fieldId(path);
  return h('label', { class: 'field any', for: id }, h('span', null, 'any XML'),
    h('textarea', { class: 'code-input', rows: '4', id, name: path, dataset: { path }, spellcheck: 'false', placeholder: '<x:Element xmlns:x="…">…</x:Element>' }));
}

function label(n) {
  return h('span', { class: 'node-name', title: n.ns ? `{${n.ns}}${n.name}` : n.name }, n.name, required(n) ? h('span', { class: 'req', title: 'required' }, ' *') : null);
}

function hint(doc) {
  const t = String(doc).replace(/\s+/g, ' ').trim();
  return h('p', { class: 'doc', title: t }, t.length > 240 ? `${t.slice(0, 239)}…` : t);
}

/**
 * One element at its instance path: a group (fieldset) or a field (an input).
 * @param {FormNode} n @param {string} at @param {boolean} root @param {boolean} [instance] drawn inside a repeated block
 */
function element(n, at, root, instance = false) {
  const attrs = (n.attributes ?? []).map((a) => field(a, `${at}/@${a.name}`, `@${a.name}`));
  const notes = [n.recursive ? 'not expanded: its type encloses itself; use the XML tab for deeper levels' : null, n.truncated ? 'not expanded: the form is at its size limit; use the XML tab' : null, n.unresolved ?? null].filter(Boolean);
  if (n.kind === 'field') {
    const f = field(n, at, n.name, instance);
    if (!attrs.length) return f;
    return h('fieldset', { class: 'group' }, h('legend', null, label(n)), attrs, f);
  }
  const typeNote = n.xsiType ? h('p', { class: 'doc' }, 'written with xsi:type ', h('span', { class: 'mono' }, n.xsiType.local), ' (its type is abstract)') : null;
  const inner = [n.documentation ? hint(n.documentation) : null, typeNote, notes.map((x) => h('p', { class: 'note' }, x)), attrs, content(n.children ?? [], at)];
  if (instance) return h('div', { class: 'group-body' }, inner);
  if (root) return h('fieldset', { class: 'group root' }, h('legend', null, label(n)), inner);
  // optional groups start folded, to keep big schemas readable
  return h('details', { class: 'group', open: required(n) }, h('summary', null, label(n), required(n) ? null : h('span', { class: 'muted small' }, ' optional')), h('div', { class: 'group-body' }, inner));
}

/** A value's input, by its type and facets. @param {FormNode} n @param {string} path @param {string} name */
function field(n, path, name, instance = false) {
  const t = n.type ?? 'string';
  /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} */
  let input;
  const common = { dataset: { path }, id: n.id && n.path === path ? n.id : fieldId(path), name: path, autocomplete: 'off', spellcheck: 'false' };
  if (n.enumeration?.length) {
    input = /** @type {HTMLSelectElement} */ (h('select', common, h('option', { value: '' }, '—'), n.enumeration.map((v) => h('option', { value: v }, v))));
  } else if (t === 'boolean') {
    input = /** @type {HTMLSelectElement} */ (h('select', common, h('option', { value: '' }, '—'), h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false')));
  } else if (t === 'xml') {
    input = /** @type {HTMLTextAreaElement} */ (h('textarea', { ...common, class: 'code-input', rows: '3' }));
  } else if (t === 'date') {
    input = /** @type {HTMLInputElement} */ (h('input', { ...common, type: 'date' }));
  } else if (NUMERIC.test(t)) {
    input = /** @type {HTMLInputElement} */ (h('input', { ...common, type: 'number', step: /^(decimal|float|double)$/.test(t) ? 'any' : '1', min: n.minInclusive ?? null, max: n.maxInclusive ?? null }));
  } else {
    const placeholder = t === 'dateTime' ? 'YYYY-MM-DDThh:mm:ss' : t === 'time' ? 'hh:mm:ss' : n.default ?? '';
    input = /** @type {HTMLInputElement} */ (h('input', { ...common, type: 'text', placeholder }));
  }
  if (n.enumeration?.length === 1 && n.minOccurs > 0) input.value = n.enumeration[0];
  else if (n.default !== undefined && n.enumeration?.includes(n.default)) input.value = n.default;
  if (n.fixed !== undefined) {
    input.value = n.fixed;
    input.setAttribute('readonly', '');
  }
  const facts = [
    t !== 'string' ? t : null,
    n.list ? 'space-separated list' : null,
    n.minLength !== undefined || n.maxLength !== undefined ? (n.minLength === n.maxLength ? `${n.minLength} characters` : `${n.minLength ?? 0}–${n.maxLength ?? '…'} characters`) : null,
    n.pattern ? (n.pattern.length > 24 ? 'pattern (hover)' : `pattern ${n.pattern}`) : null,
    n.fixed !== undefined ? 'fixed' : null,
  ].filter(Boolean);
  const warn = h('span', { class: 'field-warn', hidden: true });
  let re = null;
  try {
    re = n.pattern ? new RegExp(`^(?:${n.pattern})$`, 'u') : null;
  } catch {
    re = null;
  }
  input.addEventListener('change', () => {
    const v = input.value;
    const why = !v ? '' : re && !re.test(v) ? 'does not match the pattern' : n.maxLength !== undefined && v.length > n.maxLength ? `longer than ${n.maxLength}` : n.minLength !== undefined && v.length < n.minLength ? `shorter than ${n.minLength}` : '';
    warn.textContent = why;
    warn.hidden = !why;
    input.classList.toggle('warn', !!why);
  });
  return h('label', { class: `field${instance ? ' in-instance' : ''}`, for: common.id },
    h('span', { class: 'field-label' }, instance ? h('span', { class: 'node-name' }, 'value') : label({ ...n, name }), facts.length ? h('span', { class: 'facts', title: n.pattern ? `pattern: ${n.pattern}` : null }, facts.join(' · ')) : null),
    input, warn, n.documentation ? hint(n.documentation) : null);
}
