/**
 * A readable document, whatever it is rendered to (documents/render-html.ts, documents/render-pdf.ts):
 * an answer as a person reads it (issue 19 item 3) or a service's passport (item 4). Plain data:
 * the builders of a document know nothing of HTML or PDF, the renderers nothing of SMEV.
 */
export interface Doc {
  title: string;
  subtitle?: string;
  /** when the document was made: the PDF's CreationDate (so the same document renders to the same bytes) */
  date?: Date;
  /** what the document says of itself at its foot: journal ids, signature verdicts, when it was made */
  footer?: Field[];
  sections: Section[];
}

export interface Section {
  heading: string;
  blocks: Block[];
  /** sections inside this one (one level is enough for an answer's nested elements) */
  sections?: Section[];
}

/**
 * A label and its value; `hint` is a second line under the label: the schema's annotation where
 * the label is an element name, or the element's name where the label is its annotation.
 */
export interface Field {
  label: string;
  value: string;
  hint?: string;
}

export type Block =
  | { kind: 'fields'; rows: Field[] }
  | { kind: 'paragraph'; text: string }
  /** preformatted text: XML, JSON, a sample envelope */
  | { kind: 'code'; text: string; language?: 'xml' | 'json' | 'text' }
  | { kind: 'table'; header: string[]; rows: string[][] };
