/**
 * The HTTP status of a REST call whose request the gateway answered with a SOAP fault
 * (docs/rest.md, "Faults"): the fault's catalogue code decides, the SOAP endpoints' own status
 * (500 for nearly every fault, as the SMEV node answers) does not. The problem+json body carries
 * the code and the faultstring whatever the status.
 */
export const FAULT_STATUS: [pattern: RegExp, status: number, why: string][] = [
  [/^GW-(1010|5004|5010)$/, 413, 'too large: the request, an attachment, too many parts'],
  [/^GW-10\d\d$/, 400, 'the envelope the façade built was refused as a message (not well-formed, no operation, …)'],
  [/^GW-4007$/, 403, 'the system may not call the operation'],
  [/^(SMEV-102000|GW-4\d\d\d|GW-5\d\d\d)$/, 422, 'refused by the control: the XSD (SMEV-102000), the format-logical control, the attachments'],
  [/^(SMEV-1000\d\d|GW-3\d\d\d)$/, 422, 'refused by the signature checks (the façade signed as the system: its key or certificate is wrong)'],
  [/^GW-200[14]$/, 504, 'the provider did not answer in time, or could not be connected to in time'],
  [/^GW-20\d\d$/, 502, 'the provider\'s answer was refused: too large, not SOAP, its signature, its schema'],
  [/^GW-900[123]$/, 503, 'the gateway is busy (Retry-After)'],
  [/^GW-9000$/, 500, 'the gateway failed (the log has the reference)'],
];

/** The status for a fault's code, or its uncoded text (the node's "No policies found", "Cannot perform client request"). */
export function statusOfFault(code: string, faultstring: string): number {
  for (const [re, status] of FAULT_STATUS) if (re.test(code)) return status;
  if (/^No policies found/.test(faultstring)) return 403;
  if (/^Cannot perform client request/.test(faultstring)) return 503;
  // a fault the provider itself answered with (a business fault in SOAP clothes)
  return 502;
}
