# TCP relay: listen on LPORT, forward to 127.0.0.1:RPORT, log each direction's bytes to PREFIX.c2s / PREFIX.s2c
import socket, sys, threading
lport, rport, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", lport)); srv.listen(1)
c, _ = srv.accept()
s = socket.create_connection(("127.0.0.1", rport))
def pump(a, b, path):
    with open(path, "wb") as f:
        while True:
            try: d = a.recv(65536)
            except OSError: d = b""
            if not d: break
            f.write(d); f.flush()
            try: b.sendall(d)
            except OSError: break
    try: b.shutdown(socket.SHUT_WR)
    except OSError: pass
t1 = threading.Thread(target=pump, args=(c, s, prefix + ".c2s")); t2 = threading.Thread(target=pump, args=(s, c, prefix + ".s2c"))
t1.start(); t2.start(); t1.join(); t2.join()
