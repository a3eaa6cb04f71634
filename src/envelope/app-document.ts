import { parseEnvelope } from './parse';
import { childElements, childByLocal } from '../xml/dom';
import { NS, revisionOf } from './ns';

/** What goes into smev:AppDocument (PROTOCOL.md §7): the ZIP inline, or a reference to its MTOM part. */
export type AppDocumentContent =
  | { requestCode: string; binaryData: string }
  | { requestCode: string; contentId: string; digestValue: string };

/**
 * The envelope with its smev:AppDocument set to `content`: an AppDocument already there keeps its
 * place (its children are replaced), otherwise one is added as the last child of smev:MessageData,
 * where the schema puts it. The envelope is re-serialised: sign it after this, never before.
 */
export function setAppDocument(envelope: Buffer, content: AppDocumentContent): Buffer {
  const p = parseEnvelope(envelope);
  try {
    const op = p.messageElement?.parent;
    const data = op ? [...childElements(op)].find((c) => c.name === 'MessageData' && revisionOf(c.namespaceUri)) : undefined;
    if (!data) throw new Error('the answer has no smev:MessageData to put the AppDocument in');
    const prefix = data.prefix || undefined;
    let doc = childByLocal(data, 'AppDocument');
    if (doc) while (doc.firstChild) doc.firstChild.remove();
    else doc = data.addElement('AppDocument', prefix);
    doc.addElement('RequestCode', prefix).addText(content.requestCode);
    if ('binaryData' in content) {
      doc.addElement('BinaryData', prefix).addText(content.binaryData);
    } else {
      const ref = doc.addElement('Reference', prefix);
      ref.addNsDeclaration(NS.xop, 'xop');
      ref.addElement('Include', 'xop').setAttr('href', `cid:${encodeURIComponent(content.contentId)}`);
      doc.addElement('DigestValue', prefix).addText(content.digestValue);
    }
    return Buffer.from(p.doc.toString({ format: false }), 'utf8');
  } finally {
    p.doc.dispose();
  }
}
