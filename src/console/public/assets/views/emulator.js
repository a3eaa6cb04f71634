// @ts-check
import { h, replace, seg, pageHead, errorBox, table, toast } from '../lib/dom.js';
import { api, get, post } from '../lib/api.js';
import { faultsPanel } from './faults-panel.js';

/**
 * The emulator editor (issue 17 item 5): the emulated SIDs and their cases (GET /admin/emulator),
 * a case's case.yaml fields and answer template edited and saved (PUT …/cases/:name: checked by
 * the gateway first, written as files, in force at once), cases created and deleted, the SID's
 * dispatch.yaml, and "try it" (POST …/try): the answer, the case that answered and why, or the
 * near misses, and the SID's fault injection (./faults-panel.js). An auditor sees everything and
 * changes nothing; the last refused reload (a broken hand edit the watcher refused) is shown on top.
 */

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  const operator = ctx.me.role === 'operator';
  const status = h('div', { id: 'emu-reload-status' });
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading the emulated services…'));
  replace(ctx.main, pageHead('Emulator', operator ? 'The emulated providers\' cases: edit, create, delete, try' : 'The emulated providers\' cases (read only: editing is for operators)'), status, body);
  let list, reload;
  try {
    [list, reload] = await Promise.all([get('/emulator'), get('/services/reload-status')]);
  } catch (e) {
    return void replace(body, errorBox(e));
  }
  if (!ctx.alive()) return;
  drawReloadStatus(status, reload);
  if (!list.length) return void replace(body, h('p', { class: 'empty' }, 'No emulated service is registered.'));
  const sid = ctx.params[0] && list.some((x) => x.sid === ctx.params[0]) ? ctx.params[0] : list[0].sid;
  const sidSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'emu-sid' }, list.map((x) => h('option', { value: x.sid }, `${x.sid} · ${x.title ?? ''}`))));
  sidSel.value = sid;
  sidSel.addEventListener('change', () => ctx.navigate(`/console/emulator/${seg(sidSel.value)}`));
  const casesBox = h('section', { class: 'panel' });
  const editorBox = h('section', { class: 'panel', id: 'emu-editor-panel' });
  const dispatchBox = h('section', { class: 'panel' });
  const tryBox = h('section', { class: 'panel', id: 'emu-try-panel' });
  replace(body, h('div', { class: 'filters' }, h('label', { class: 'field' }, h('span', null, 'Emulated SID'), sidSel)), casesBox, editorBox, dispatchBox, faultsPanel(sid, operator, () => ctx.loaded()), tryBox);

  /** the SID as the gateway has it now */
  let s = list.find((x) => x.sid === sid);
  const refresh = async () => {
    s = await get(`/emulator/${seg(sid)}`);
    drawCases();
    drawReloadStatus(status, await get('/services/reload-status'));
  };

  const drawCases = () => {
    const add = operator ? h('button', { type: 'button', class: 'primary', id: 'emu-new', onclick: () => void edit(undefined) }, 'New case') : null;
    replace(casesBox, h('h2', null, `Cases of ${s.sid}`, ' ', add), table([
      { title: 'Case', cell: (c) => h('button', { type: 'button', class: 'link mono strong', dataset: { edit: c.name }, onclick: () => void edit(c.name) }, c.name) },
      { title: 'Operation', cell: (c) => h('span', { class: 'mono' }, c.operation ?? 'any') },
      { title: 'Match', cell: (c) => h('ul', { class: 'small' }, Object.entries(c.match ?? {}).map(([k, v]) => h('li', { class: 'mono' }, `${k} = ${v}`))) },
      { title: 'Priority', cell: (c) => String(c.priority ?? 0) },
      { title: 'Fault', cell: (c) => (c.fault ? `${c.fault.faultcode ?? 'Server'}: ${c.fault.faultstring}` : '') },
      { title: 'Scenario', cell: (c) => (c.scenario ? `${c.scenario.name} ${c.scenario.requiredState ?? '*'} → ${c.scenario.newState ?? '='}` : '') },
      { title: 'In force', cell: (c) => (c.inForce ? 'yes' : h('b', { class: 'bad' }, 'no: the gateway refused the files (see above)')) },
    ], s.cases, { attrs: { id: 'emu-cases' }, empty: 'No case yet: the emulated provider cannot answer.', row: (c) => ({ dataset: { case: c.name } }) }));
  };

  /** the case editor: case.yaml's common keys as fields, the rest kept as loaded */
  const edit = async (name) => {
    /** @type {{ case: Record<string, any>, files: Record<string, string> }} */
    let loaded = { case: {}, files: { 'answer.xml': '' } };
    if (name) {
      try {
        loaded = await get(`/emulator/${seg(sid)}/cases/${seg(name)}`);
      } catch (e) {
        return void replace(editorBox, errorBox(e));
      }
    }
    /** @type {Record<string, any>} */
    const c = loaded.case ?? {};
    const answerFile = typeof c.answer === 'string' ? c.answer : 'answer.xml';
    const ro = !operator;
    const input = (id, value, attrs = {}) => /** @type {HTMLInputElement} */ (h('input', { id, value: value ?? '', disabled: ro, autocomplete: 'off', spellcheck: 'false', ...attrs }));
    const nameIn = input('emu-name', name ?? '', { readOnly: !!name, placeholder: 'letters, digits, _ . -' });
    const opSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'emu-operation', disabled: ro }, h('option', { value: '' }, 'any operation'), s.operations.map((o) => h('option', { value: o.name }, `${o.name} (${o.mode})`))));
    opSel.value = c.operation ?? '';
    const desc = input('emu-description', c.description);
    const prio = input('emu-priority', String(c.priority ?? 0), { type: 'number' });
    const weight = input('emu-weight', String(c.weight ?? 1), { type: 'number', min: '0', step: 'any' });
    const match = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'emu-match', rows: 4, disabled: ro, spellcheck: 'false', placeholder: 'AppData/Request/Snils: 123-456-789 00\nMessage/Sender/Code: /^MINZ/' },
      Object.entries(c.match ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n')));
    const sc = c.scenario ?? {};
    const scName = input('emu-scenario', sc.name, { placeholder: 'name' });
    const scReq = input('emu-scenario-required', sc.requiredState, { placeholder: 'required state' });
    const scNew = input('emu-scenario-new', sc.newState, { placeholder: 'new state' });
    const f = c.fault ?? {};
    const faultOn = /** @type {HTMLInputElement} */ (h('input', { id: 'emu-fault-on', type: 'checkbox', checked: !!c.fault, disabled: ro }));
    const faultCode = /** @type {HTMLSelectElement} */ (h('select', { id: 'emu-fault-code', disabled: ro }, h('option', { value: 'Server' }, 'Server'), h('option', { value: 'Client' }, 'Client')));
    faultCode.value = f.faultcode ?? 'Server';
    const faultString = input('emu-fault-string', f.faultstring, { placeholder: 'faultstring, e.g. SMEV-100003: …' });
    const faultStatus = input('emu-fault-status', String(f.httpStatus ?? 500), { type: 'number' });
    const template = /** @type {HTMLInputElement} */ (h('input', { id: 'emu-template', type: 'checkbox', checked: c.template !== false, disabled: ro }));
    const answer = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'emu-answer', rows: 16, disabled: ro, spellcheck: 'false', class: 'mono' }, loaded.files?.[answerFile] ?? ''));
    const result = h('div', { id: 'emu-result' });

    const save = async () => {
      const keys = { ...c };
      for (const k of ['operation', 'description', 'match', 'priority', 'weight', 'scenario', 'fault', 'template']) delete keys[k];
      if (opSel.value) keys.operation = opSel.value;
      if (desc.value.trim()) keys.description = desc.value.trim();
      const m = {};
      for (const line of match.value.split('\n')) {
        const i = line.indexOf(':');
        if (!line.trim()) continue;
        if (i < 1) return void replace(result, h('div', { class: 'notice bad', role: 'alert' }, `match: "${line}" is not "path: value"`));
        m[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      if (Object.keys(m).length) keys.match = m;
      if (Number(prio.value)) keys.priority = Number(prio.value);
      if (weight.value !== '' && Number(weight.value) !== 1) keys.weight = Number(weight.value);
      if (scName.value.trim()) keys.scenario = { name: scName.value.trim(), ...(scReq.value.trim() ? { requiredState: scReq.value.trim() } : {}), ...(scNew.value.trim() ? { newState: scNew.value.trim() } : {}) };
      if (faultOn.checked) keys.fault = { faultcode: faultCode.value, faultstring: faultString.value, httpStatus: Number(faultStatus.value) || 500 };
      if (!template.checked) keys.template = false;
      const target = nameIn.value.trim();
      try {
        await api('PUT', `/emulator/${seg(sid)}/cases/${seg(target)}`, { case: keys, files: { [answerFile]: answer.value } });
      } catch (e) {
        return void replace(result, h('div', { class: 'notice bad', role: 'alert' }, h('b', null, 'Not saved: '), h('ul', null, String(e instanceof Error ? e.message : e).replace(/^refused, nothing was changed: /, '').split('; ').map((r) => h('li', { class: 'mono small' }, r)))));
      }
      toast(`Case ${target} saved`, 'ok');
      await refresh();
      await edit(target);
      replace(/** @type {HTMLElement} */ (document.getElementById('emu-result')), h('div', { class: 'notice ok', role: 'status' }, `Saved: ${target} is in force.`));
      ctx.loaded();
    };
    const del = async () => {
      if (!confirm(`Delete case ${name}?`)) return;
      try {
        await api('DELETE', `/emulator/${seg(sid)}/cases/${seg(/** @type {string} */ (name))}`);
      } catch (e) {
        return void replace(result, h('div', { class: 'notice bad', role: 'alert' }, e instanceof Error ? e.message : String(e)));
      }
      toast(`Case ${name} deleted`, 'ok');
      replace(editorBox);
      await refresh();
      ctx.loaded();
    };
    const field = (label, el) => h('label', { class: 'field' }, h('span', null, label), el);
    replace(editorBox, h('h2', null, name ? `Case ${name}` : 'New case'),
      h('form', { id: 'emu-editor', onsubmit: (ev) => { ev.preventDefault(); void save(); } },
        h('div', { class: 'filter-grid' }, field('Name', nameIn), field('Operation', opSel), field('Description', desc), field('Priority', prio), field('Weight (random dispatch)', weight)),
        field('Match (one "path: value" a line; /regex/, * for present)', match),
        h('div', { class: 'filter-grid' }, field('Scenario', scName), field('Required state', scReq), field('New state', scNew)),
        h('div', { class: 'filter-grid' }, h('label', { class: 'check' }, faultOn, ' Answer with a SOAP fault'), field('faultcode', faultCode), field('faultstring', faultString), field('HTTP status', faultStatus)),
        h('label', { class: 'check' }, template, ' The answer is a template (values from the request)'),
        field(`Answer (${answerFile})`, answer),
        operator ? h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'primary', id: 'emu-save' }, 'Save'), name ? h('button', { type: 'button', id: 'emu-delete', onclick: () => void del() }, 'Delete') : null) : null,
        result));
    ctx.loaded();
  };

  const drawDispatch = () => {
    const text = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'emu-dispatch', rows: 5, disabled: !operator, spellcheck: 'false', class: 'mono',
      placeholder: '{"*": {"style": "sequence", "cases": ["first", "second"], "loop": true}}' }, s.dispatch ? JSON.stringify(s.dispatch, null, 2) : ''));
    const out = h('div', { id: 'emu-dispatch-result' });
    const save = async () => {
      let d;
      try {
        d = text.value.trim() ? JSON.parse(text.value) : {};
      } catch (e) {
        return void replace(out, h('div', { class: 'notice bad' }, `not JSON: ${e instanceof Error ? e.message : e}`));
      }
      try {
        await api('PUT', `/emulator/${seg(sid)}/dispatch`, d);
        replace(out, h('div', { class: 'notice ok', role: 'status' }, 'dispatch.yaml saved and in force.'));
        await refresh();
      } catch (e) {
        replace(out, h('div', { class: 'notice bad', role: 'alert' }, e instanceof Error ? e.message : String(e)));
      }
      ctx.loaded();
    };
    replace(dispatchBox, h('h2', null, 'Dispatch (dispatch.yaml, as JSON; empty: match for every operation)'), text,
      operator ? h('div', { class: 'filter-actions' }, h('button', { type: 'button', id: 'emu-dispatch-save', onclick: () => void save() }, 'Save dispatch')) : null, out);
  };

  const drawTry = () => {
    if (!operator) return void replace(tryBox, h('h2', null, 'Try it'), h('p', { class: 'muted' }, 'Trying sends a request through the gateway: an operator can.'));
    const opSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'emu-try-operation' }, s.operations.map((o) => h('option', { value: o.name }, o.name))));
    const input = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'emu-try-input', rows: 8, spellcheck: 'false', class: 'mono', placeholder: 'AppData\'s content (wrapped into a request built from the WSDL), or a whole envelope' }));
    const out = h('div', { id: 'emu-try-result' });
    const send = async () => {
      const text = input.value.trim();
      const whole = /<(\w+:)?Envelope[\s>]/.test(text);
      replace(out, h('p', { class: 'loading' }, 'Sending…'));
      let r;
      try {
        r = await post(`/emulator/${seg(sid)}/try`, whole ? { envelope: text } : { operation: opSel.value, appData: text });
      } catch (e) {
        replace(out, h('div', { class: 'notice bad', role: 'alert' }, e instanceof Error ? e.message : String(e)));
        return void ctx.loaded();
      }
      const x = r.explanation;
      replace(out,
        h('div', { class: `notice ${x.case ? 'ok' : 'warn'}`, id: 'emu-try-why' }, h('b', null, x.case ? `Case ${x.case} answered` : 'No case answered'), ` (${x.style ?? '?'} dispatch, HTTP ${r.httpStatus}): `, x.why),
        x.nearMisses?.length ? h('details', { open: !x.case }, h('summary', null, `Near misses (${x.nearMisses.length}), closest first`), table([
          { title: 'Case', cell: (c) => h('span', { class: 'mono' }, c.case) },
          { title: 'Met', cell: (c) => `${Math.round(c.score * 100)}%` },
          { title: 'Conditions', cell: (c) => h('ul', { class: 'small' }, c.conditions.map((k) => h('li', { class: `mono ${k.ok ? '' : 'bad'}` }, `${k.ok ? '✓' : '✗'} ${k.path}: expected ${k.expected}, got ${k.actual ?? 'nothing'}`))) },
        ], x.nearMisses, { attrs: { id: 'emu-near-misses' } })) : null,
        r.exchangeId ? h('p', null, h('a', { href: `/console/exchange/${seg(r.exchangeId)}` }, 'The exchange in the journal')) : null,
        h('h3', null, 'Answer'), h('pre', { class: 'code', id: 'emu-try-answer' }, r.response));
      ctx.loaded();
    };
    replace(tryBox, h('h2', null, 'Try it'), h('div', { class: 'filter-grid' }, h('label', { class: 'field' }, h('span', null, 'Operation (for AppData)'), opSel)), input,
      h('div', { class: 'filter-actions' }, h('button', { type: 'button', class: 'primary', id: 'emu-try-send', onclick: () => void send() }, 'Send')), out);
  };

  drawCases();
  drawDispatch();
  drawTry();
}

/** The last reload, when it refused the files (a broken hand edit): what is wrong, on top of the page. */
function drawReloadStatus(el, st) {
  const refused = st.lastRefusal && (!st.last || st.last === st.lastRefusal || st.last.at === st.lastRefusal.at);
  replace(el,
    refused ? h('div', { class: 'notice bad', role: 'alert' }, h('b', null, `The registry's files were refused (${st.lastRefusal.by}, ${st.lastRefusal.at}); the previous registry is in force: `), h('pre', { class: 'small' }, st.lastRefusal.error)) : null,
    h('p', { class: 'muted small' }, st.watching ? 'The registry reloads by itself when its files change.' : 'The registry\'s files are not watched (SMEV2_WATCH_REGISTRY=false): changes by hand need Reload.'));
}
