import { parseLocal } from '../xml/dom';
import type { XmlElement } from '../xml/libxml';
import { NS } from '../envelope/ns';
import type { Service } from './load';

/** Where the gateway serves a bundle file. */
export function fileUrl(base: string, sid: string, rel: string): string {
  return `${base}/gateway/services/${sid}/files/${rel.split('/').map(encodeURIComponent).join('/')}`;
}

export function serviceUrl(base: string, sid: string, version?: string): string {
  return `${base}/gateway/services/${sid}${version ? `/${encodeURIComponent(version)}` : ''}`;
}

const cache = new WeakMap<Service, Map<string, Buffer>>();

/**
 * A bundle file as the gateway publishes it: every import that resolves inside the bundle points
 * at the gateway, and (in WSDL files) every soap:address at the service's own URL. Imports the
 * bundle does not hold stay as they are. Results are cached per base URL.
 */
export function publishFile(service: Service, rel: string, base: string, version?: string): Buffer | undefined {
  const file = service.bundle.files.get(rel);
  if (!file) return undefined;
  const key = `${base}\u0000${version ?? ''}\u0000${rel}`;
  let perService = cache.get(service);
  if (!perService) cache.set(service, (perService = new Map()));
  const hit = perService.get(key);
  if (hit) return hit;
  if (file.kind === 'other') return file.bytes;

  const doc = parseLocal(file.bytes, undefined, () => undefined);
  try {
    const targets = new Map(file.refs.filter((r) => r.target).map((r) => [r.value, r.target!]));
    const imports = doc.find(
      '//wsdl:import[@location] | //xsd:import[@schemaLocation] | //xsd:include[@schemaLocation] | //xsd:redefine[@schemaLocation]',
      { wsdl: NS.wsdl, xsd: NS.xsd },
    ) as XmlElement[];
    for (const el of imports) {
      const attr = el.attr(el.namespaceUri === NS.wsdl ? 'location' : 'schemaLocation')!;
      const target = targets.get(attr.value.trim());
      if (target) attr.value = safeAttr(fileUrl(base, service.sid, target));
    }
    if (file.kind === 'wsdl') {
      const addresses = doc.find('//wsdl:port/soap:address', { wsdl: NS.wsdl, soap: NS.wsdlSoap }) as XmlElement[];
      for (const a of addresses) {
        const loc = a.attr('location');
        if (loc) loc.value = safeAttr(serviceUrl(base, service.sid, version));
      }
    }
    const out = Buffer.from(doc.toString({ format: false }), 'utf8');
    if (perService.size > 1000) perService.clear(); // bounded: base URLs come from request headers
    perService.set(key, out);
    return out;
  } finally {
    doc.dispose();
  }
}

/** libxml2's attribute setter reads '&' as an entity start; URLs we build never need a raw one. */
function safeAttr(v: string): string {
  return v.replace(/&/g, '%26');
}
