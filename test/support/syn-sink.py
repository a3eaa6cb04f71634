# A TCP port that never completes a connection: it listens with no room in its accept queue and
# fills that queue itself, so the kernel drops further SYNs and a client's connect hangs.
# Prints the port, then waits to be killed. Used to test the provider connect timeout.
import socket
import time

server = socket.socket()
server.bind(('127.0.0.1', 0))
server.listen(0)
port = server.getsockname()[1]
held = []
for _ in range(8):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(('127.0.0.1', port))
    except BlockingIOError:
        pass
    held.append(c)
print(port, flush=True)
time.sleep(600)
