// Writes docs/faults.md from the fault catalogue (src/faults/catalogue.ts, built into dist/).
// `node scripts/faults-doc.js --check` exits 1 when the committed file is out of date.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

function render() {
  const { FAULTS } = require(join(__dirname, '..', 'dist', 'faults', 'catalogue.js'));
  const rows = Object.entries(FAULTS).map(([name, f]) =>
    `| \`${f.code || '—'}\` | ${f.text.replace(/\|/g, '\\|')} | ${f.faultcode} | ${f.http} | ${f.when} | \`${name}\` |`);
  return `# Fault catalogue

Every SOAP fault the gateway sends. Generated from \`src/faults/catalogue.ts\` by
\`node scripts/faults-doc.js\`; a test fails when this file and the catalogue differ.

The faultstring is \`<code>: <text>\`, or the text alone for the node's uncoded messages. The
real SMEV node's codes and texts (\`SMEV-1000nn\`, "No policies found ...", "Cannot perform
client request") are kept exactly, because clients match them literally; \`GW-nnnn\` codes are
this gateway's own. Business refusals are not faults: they travel as messages with Status
INVALID or REJECT. \`{name}\` stands for a value filled in at the time. The journal records the
code (or the entry's name, for uncoded ones) in \`fault_code\`.

| code | faultstring text | faultcode | HTTP | when | entry |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

const file = join(__dirname, '..', 'docs', 'faults.md');
const text = render();
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== text) {
    process.stderr.write('docs/faults.md is out of date: run node scripts/faults-doc.js\n');
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
}
