# A real SMTP server for the mail tests: aiosmtpd (Debian python3-aiosmtpd) on 127.0.0.1:PORT.
# Each message it accepts is parsed with python's email module and written to OUT_DIR as one JSON
# file (envelope sender and recipients, decoded headers, the text and HTML parts). A recipient
# containing REJECT (if given) is refused with a permanent 550. Prints "listening PORT" once it
# answers, then serves until SIGTERM.
#   /usr/bin/python3 test/support/smtp-sink.py PORT OUT_DIR [REJECT]
import email
import json
import os
import signal
import sys
import threading
from email import policy

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out, reject):
        self.out = out
        self.reject = reject
        self.n = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject in address:
            return '550 5.1.1 <%s>: Recipient address rejected: no such mailbox' % address
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 OK'

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        text = msg.get_body(('plain',))
        html = msg.get_body(('html',))
        record = {
            'mailFrom': envelope.mail_from,
            'rcptTos': envelope.rcpt_tos,
            'from': str(msg['from']),
            'to': str(msg['to']),
            'subject': str(msg['subject']),
            'messageId': str(msg['message-id']),
            'event': str(msg['x-smev2-event']),
            'text': text.get_content() if text is not None else None,
            'html': html.get_content() if html is not None else None,
        }
        with self.lock:
            self.n += 1
            name = '%d-%06d' % (os.getpid(), self.n)
        tmp = os.path.join(self.out, name + '.tmp')
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(self.out, name + '.json'))
        return '250 2.0.0 Ok: queued as %s' % name


def main():
    port = int(sys.argv[1])
    out = sys.argv[2]
    reject = sys.argv[3] if len(sys.argv) > 3 else None
    os.makedirs(out, exist_ok=True)
    controller = Controller(Sink(out, reject), hostname='127.0.0.1', port=port)
    controller.start()
    print('listening %d' % port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(3600):
        pass
    controller.stop()


if __name__ == '__main__':
    main()
