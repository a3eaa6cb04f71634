#!/usr/bin/python3
"""python3-zeep (Debian) reads an MTOM answer through the gateway.

    /usr/bin/python3 zeep_mtom_client.py <gateway>/gateway/services/SID…?wsdl CASE…

Imports the WSDL of a Rosreestr-style SID (the demo SID0003564's bundle) from the gateway and
calls CreateRequest once per CASE (sent as Message/CaseNumber, so the test's provider knows which
answer to give). zeep reads a multipart/related answer itself: it parses the MIME parts and
replaces every xop:Include by the base64 of the part it names (zeep/wsdl/messages/xop.py), so:

- AppDocument/BinaryData/xop:Include becomes BinaryData's text, and the typed answer's
  AppDocument.BinaryData is the part's bytes (xsd:base64Binary);
- AppDocument/Reference/xop:Include (SMEV 2's form) becomes Reference's text, but zeep parses a
  mixed complexType such as smev:ReferenceType without its text (python-zeep issue #774), so the
  typed answer's Reference is None; the bytes are read from the decoded envelope zeep hands its
  ingress plugins (`reference_text` below), which is where a zeep user finds them.

Prints a JSON array, one object per call: {case, ok, error?, status, requestCode, form, size,
sha256, digestValue, typedReference}.
"""
import base64
import datetime
import hashlib
import json
import sys
import traceback

try:
    import zeep
    from lxml import etree
    from zeep import xsd
    from zeep.plugins import Plugin
except ImportError as e:  # pragma: no cover - reported to the test
    sys.stderr.write("zeep_mtom_client: cannot import zeep (Debian package python3-zeep, run with /usr/bin/python3): %s\n" % e)
    sys.exit(1)

SMEV = "http://smev.gosuslugi.ru/rev111111"
TYPES = "http://smev2-gateway.demo/rosreestr/egrn/types"


class DecodedEnvelope(Plugin):
    """Keeps the answer envelope as zeep decoded it (xop:Include already replaced)."""

    def __init__(self):
        self.envelope = None

    def ingress(self, envelope, http_headers, operation):
        self.envelope = envelope
        return envelope, http_headers


def reference_text(envelope):
    ref = envelope.find(".//{%s}AppDocument/{%s}Reference" % (SMEV, SMEV))
    return None if ref is None or not (ref.text or "").strip() else ref.text.strip()


def call(client, decoded, case):
    message_type = client.get_type("{%s}MessageType" % SMEV)
    org = client.get_type("{%s}orgExternalType" % SMEV)
    minz = org(Code="MINZ01001", Name="Министерство здравоохранения Российской Федерации")
    message = message_type(
        Sender=minz, Recipient=org(Code="RRTR01001", Name="Росреестр"), Originator=minz,
        TypeCode="GSRV", Status="REQUEST", Date=datetime.datetime.now(datetime.timezone.utc),
        ExchangeType="2", CaseNumber=case,
    )
    bean = client.get_element("{%s}createRequestBean" % TYPES)
    data = client.get_type("{%s}MessageDataType" % SMEV)(
        AppData={"_value_1": [xsd.AnyObject(bean, bean(requestType="extractRealty", cadastralNumber="58:29:1007005:1234"))]},
    )
    answer = client.service.CreateRequest(Message=message, MessageData=data)
    doc = answer.MessageData.AppDocument
    out = {"case": case, "status": answer.Message.Status, "requestCode": doc.RequestCode,
           "typedReference": None if doc.Reference is None else repr(doc.Reference),
           "digestValue": base64.b64encode(doc.DigestValue).decode() if doc.DigestValue else None}
    if doc.BinaryData is not None:
        out["form"] = "BinaryData"
        got = doc.BinaryData
    else:
        text = reference_text(decoded.envelope)
        if text is None:
            raise ValueError("the answer's AppDocument has neither BinaryData nor Reference text")
        out["form"] = "Reference"
        got = base64.b64decode(text)
    out["size"] = len(got)
    out["sha256"] = hashlib.sha256(got).hexdigest()
    return out


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: zeep_mtom_client.py <wsdl url> CASE...\n")
        sys.exit(2)
    decoded = DecodedEnvelope()
    client = zeep.Client(sys.argv[1], plugins=[decoded])
    results = []
    for case in sys.argv[2:]:
        try:
            r = call(client, decoded, case)
            r["ok"] = True
        except Exception as e:
            r = {"case": case, "ok": False, "error": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc()[-3000:]}
            if decoded.envelope is not None:
                r["received"] = etree.tostring(decoded.envelope, encoding="unicode")[:4000]
        results.append(r)
    json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
