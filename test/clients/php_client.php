<?php
// PHP SoapClient (php-soap) against the gateway: for each job, import the SID's WSDL from the
// gateway and call its operations with the arrays a PHP developer writes: the operation's
// parameters { Message: {...}, MessageData: { AppData: { any: "<xml/>" } } } (AppData is an
// xs:any, which PHP takes as an XML string). The test builds them from a fixture envelope,
// because php-cli + php-soap alone have no DOM extension to read it here.
//
//   php php_client.php jobs.json      (or the JSON on stdin)
//
// jobs.json: [{ "id": "...", "wsdl": "<gw>/gateway/services/SID?wsdl",
//               "calls": [{ "operation": "Op", "params": {...}, "originFromFirst": false }] }]
// "originFromFirst": set Message/OriginRequestIdRef to the RequestIdRef of the job's first answer
// (a PING on the chain the ACCEPT opened).
// Prints one JSON array of { id, ok, error?, functions, calls: [{ operation, ok, status, ... }] }.
// A job's failure is reported in its result (ok false, error with the SoapFault's code and text);
// the script exits 1 only when it cannot run at all.

ini_set('soap.wsdl_cache_enabled', '0');
ini_set('default_socket_timeout', '30');
error_reporting(E_ALL);

// Classes PHP maps the WSDL's complex types to (option classmap): an answer parsed with the WSDL
// comes back as these, not as stdClass.
#[AllowDynamicProperties] class SmevMessage {}
#[AllowDynamicProperties] class SmevMessageData {}
#[AllowDynamicProperties] class SmevAppData {}
#[AllowDynamicProperties] class SmevAppDocument {}
#[AllowDynamicProperties] class SmevOrg {}

function fail_run(string $msg): void {
  fwrite(STDERR, "php_client: $msg\n");
  exit(1);
}

function describe_answer($r): array {
  $m = $r->Message ?? null;
  $d = $r->MessageData ?? null;
  $out = [
    'answerClass' => is_object($r) ? get_class($r) : gettype($r),
    'messageClass' => is_object($m) ? get_class($m) : gettype($m),
    'senderClass' => is_object($m->Sender ?? null) ? get_class($m->Sender) : null,
    'status' => $m->Status ?? null,
    'requestIdRef' => $m->RequestIdRef ?? null,
    'originRequestIdRef' => $m->OriginRequestIdRef ?? null,
    'messageDataClass' => is_object($d) ? get_class($d) : gettype($d),
    'appData' => null,
    'appDocument' => null,
  ];
  if (is_object($d) && isset($d->AppData)) {
    $out['appDataClass'] = get_class($d->AppData);
    $out['appData'] = $d->AppData->any ?? null;
  }
  if (is_object($d) && isset($d->AppDocument)) {
    $doc = $d->AppDocument;
    $bin = $doc->BinaryData ?? null;
    $out['appDocument'] = [
      'class' => get_class($doc),
      'requestCode' => $doc->RequestCode ?? null,
      'binaryLength' => is_string($bin) ? strlen($bin) : null,
      'binaryHead' => is_string($bin) ? bin2hex(substr($bin, 0, 4)) : null,
    ];
  }
  return $out;
}

$input = isset($argv[1]) ? file_get_contents($argv[1]) : stream_get_contents(STDIN);
$jobs = json_decode($input, true);
if (!is_array($jobs)) fail_run('the jobs are not a JSON array: ' . json_last_error_msg());

$results = [];
foreach ($jobs as $job) {
  $res = ['id' => $job['id'], 'ok' => false, 'calls' => []];
  try {
    $client = new SoapClient($job['wsdl'], [
      'trace' => true,
      'exceptions' => true,
      'cache_wsdl' => WSDL_CACHE_NONE,
      'soap_version' => SOAP_1_1,
      'encoding' => 'UTF-8',
      'connection_timeout' => 10,
      'classmap' => [
        'MessageType' => 'SmevMessage',
        'MessageDataType' => 'SmevMessageData',
        'AppDataType' => 'SmevAppData',
        'AppDocumentType' => 'SmevAppDocument',
        'orgExternalType' => 'SmevOrg',
      ],
    ]);
    $res['functions'] = $client->__getFunctions();
    $origin = null;
    foreach ($job['calls'] as $i => $call) {
      $params = $call['params'];
      if (!is_array($params)) throw new RuntimeException("call $i ({$call['operation']}) has no params");
      if (!empty($call['originFromFirst'])) {
        if ($origin === null) throw new RuntimeException('no RequestIdRef in the first answer to quote as OriginRequestIdRef');
        $params['Message']['OriginRequestIdRef'] = $origin;
      }
      $entry = ['operation' => $call['operation'], 'ok' => false];
      try {
        $answer = $client->__soapCall($call['operation'], [$params]);
        $entry = array_merge($entry, ['ok' => true], describe_answer($answer));
        if ($i === 0) $origin = $entry['requestIdRef'];
      } catch (SoapFault $f) {
        $entry['error'] = "SoapFault {$f->faultcode}: {$f->getMessage()}";
        $entry['response'] = substr((string) $client->__getLastResponse(), 0, 4000);
      }
      $entry['request'] = $client->__getLastRequest();
      $res['calls'][] = $entry;
      if (!$entry['ok']) break;
    }
    $res['ok'] = count($res['calls']) === count($job['calls']) && !in_array(false, array_column($res['calls'], 'ok'), true);
  } catch (Throwable $e) {
    $res['error'] = get_class($e) . ': ' . $e->getMessage();
  }
  $results[] = $res;
}
echo json_encode($results, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE | JSON_PRETTY_PRINT), "\n";
