#!/usr/bin/env bash
# Builds the smev:AppDocument of the demo Rosreestr service (SID0003564, case "found") and writes
# its base64 into the answer's <smev:BinaryData>.
#
# The ZIP holds, as SMEV 2 attachments do:
#   extract-58-29-1007005-1234.xml       the extract (a small demo EGRN extract)
#   extract-58-29-1007005-1234.xml.sig   its detached PKCS#7 (CMS, DER) signature
#   req_<RequestCode>.xml                the manifest (AppliedDocuments, namespace
#                                        http://smev.gosuslugi.ru/request/rev111111)
#
# The signature is made with a throwaway self-signed RSA certificate generated in a temporary
# folder and deleted on exit: no key is ever written into the project. Real Rosreestr files are
# signed with GOST keys; an RSA demo signature keeps the fixture checkable with stock OpenSSL.
# Every run makes a new key and signing time, so the ZIP differs from run to run.
#
# Usage: scripts/make-demo-appdocument.sh [ANSWER_XML]
#   ANSWER_XML  the answer whose <smev:BinaryData> is replaced
#               (default: fixtures/SID0003564/found/answer.xml)
# Needs: openssl, zip, base64, node. If xmllint and ../shared/smev2/xsd/ are there, the manifest
# is validated against the official smev-request schema.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ANSWER="${1:-$ROOT/fixtures/SID0003564/found/answer.xml}"
REQUEST_CODE="6f1c2d8a-3b47-4e95-a0d2-5c8e7b1f9a34"
CADASTRAL="58:29:1007005:1234"
EXTRACT="extract-58-29-1007005-1234.xml"
MANIFEST="req_${REQUEST_CODE}.xml"
STAMP="2024-03-15 09:40:00"

for tool in openssl zip base64 node; do
  command -v "$tool" >/dev/null || { echo "make-demo-appdocument: $tool is required" >&2; exit 1; }
done
[ -f "$ANSWER" ] || { echo "make-demo-appdocument: $ANSWER does not exist" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/key" "$WORK/zip"

# 1. The extract.
cat > "$WORK/zip/$EXTRACT" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<ExtractObject xmlns="http://smev2-gateway.demo/rosreestr/extract" Version="01">
  <DetailsStatement>
    <Title>Выписка из Единого государственного реестра недвижимости об основных характеристиках и зарегистрированных правах на объект недвижимости</Title>
    <RegistrationNumber>КУВИ-001/2024-0718293</RegistrationNumber>
    <DateFormation>2024-03-15</DateFormation>
    <Organization>Управление Федеральной службы государственной регистрации, кадастра и картографии по Пензенской области</Organization>
  </DetailsStatement>
  <Realty>
    <CadastralNumber>${CADASTRAL}</CadastralNumber>
    <DateCadastral>2012-07-02</DateCadastral>
    <ObjectType>Помещение</ObjectType>
    <Purpose>Жилое помещение</Purpose>
    <Name>Квартира</Name>
    <Area Unit="кв. м">54.3</Area>
    <Floor>5</Floor>
    <Address>Пензенская область, г. Пенза, ул. Калинина, д. 112, кв. 48</Address>
    <CadastralCost Date="2023-01-01" Currency="RUB">3412870.45</CadastralCost>
  </Realty>
  <Rights>
    <Right>
      <Owner>ЛЕБЕДЕВА ОЛЬГА НИКОЛАЕВНА, 11.04.1982 г.р.</Owner>
      <Type>Собственность</Type>
      <RegNumber>58:29:1007005:1234-58/061/2019-3</RegNumber>
      <RegDate>2019-08-21</RegDate>
    </Right>
  </Rights>
  <Encumbrances>не зарегистрировано</Encumbrances>
  <ClaimedRights>данные отсутствуют</ClaimedRights>
</ExtractObject>
EOF

# 2. A throwaway self-signed RSA certificate, and the detached signature of the extract.
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -utf8 \
  -subj "/C=RU/O=Росреестр (демо smev2-gateway)/CN=Демонстрационная подпись выписки ЕГРН" \
  -keyout "$WORK/key/demo.key" -out "$WORK/key/demo.crt" 2>/dev/null
openssl cms -sign -binary -outform DER -md sha256 \
  -in "$WORK/zip/$EXTRACT" -signer "$WORK/key/demo.crt" -inkey "$WORK/key/demo.key" \
  -out "$WORK/zip/$EXTRACT.sig"
openssl cms -verify -binary -inform DER -in "$WORK/zip/$EXTRACT.sig" \
  -content "$WORK/zip/$EXTRACT" -CAfile "$WORK/key/demo.crt" -out /dev/null 2>/dev/null \
  || { echo "make-demo-appdocument: the signature does not verify" >&2; exit 1; }

# 3. The manifest.
cat > "$WORK/zip/$MANIFEST" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<rq:AppliedDocuments xmlns:rq="http://smev.gosuslugi.ru/request/rev111111">
  <rq:AppliedDocument rq:ID="extract">
    <rq:Name>Выписка из ЕГРН об основных характеристиках и зарегистрированных правах на объект недвижимости ${CADASTRAL}</rq:Name>
    <rq:Number>КУВИ-001/2024-0718293</rq:Number>
    <rq:URL>${EXTRACT}</rq:URL>
    <rq:Type>application/xml</rq:Type>
  </rq:AppliedDocument>
  <rq:AppliedDocument rq:ID="extract-sig">
    <rq:Name>Электронная подпись выписки (PKCS#7, отсоединённая)</rq:Name>
    <rq:URL>${EXTRACT}.sig</rq:URL>
    <rq:Type>application/pkcs7-signature</rq:Type>
  </rq:AppliedDocument>
</rq:AppliedDocuments>
EOF
SCHEMA="$ROOT/../shared/smev2/xsd/smev-request-r111111-v1.0.xsd"
if command -v xmllint >/dev/null && [ -f "$SCHEMA" ]; then
  xmllint --noout --schema "$SCHEMA" "$WORK/zip/$MANIFEST" 2>"$WORK/lint" \
    || { cat "$WORK/lint" >&2; echo "make-demo-appdocument: the manifest does not validate" >&2; exit 1; }
fi

# 4. The ZIP (fixed timestamps, no extra attributes) and its base64 in the answer.
touch -d "$STAMP" "$WORK/zip/"*
(cd "$WORK/zip" && zip -X -D -q -9 "$WORK/appdocument.zip" "$EXTRACT" "$EXTRACT.sig" "$MANIFEST")
base64 -w 76 "$WORK/appdocument.zip" > "$WORK/appdocument.b64"

node - "$ANSWER" "$WORK/appdocument.b64" "$REQUEST_CODE" <<'EOF'
const fs = require('node:fs');
const [answerPath, b64Path, requestCode] = process.argv.slice(2);
const xml = fs.readFileSync(answerPath, 'utf8');
const b64 = fs.readFileSync(b64Path, 'utf8').trim();
const re = /(<((?:[\w.-]+:)?)RequestCode>)[^<]*(<\/\2RequestCode>\s*<\2BinaryData>)[^<]*(<\/\2BinaryData>)/;
if (!re.test(xml)) {
  console.error(`make-demo-appdocument: ${answerPath} has no RequestCode + BinaryData to replace`);
  process.exit(1);
}
fs.writeFileSync(answerPath, xml.replace(re, (_, open, _p, mid, close) => `${open}${requestCode}${mid}\n${b64}\n${close}`));
EOF

echo "make-demo-appdocument: $(stat -c %s "$WORK/appdocument.zip") bytes of ZIP written into $ANSWER"
unzip -l "$WORK/appdocument.zip" | sed 's/^/  /'
