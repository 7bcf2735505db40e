#!/usr/bin/env python3
"""A small TLS-terminating reverse proxy for logship's integration tests.

    tls_proxy.py --cert PEM --key PEM [--client-ca PEM] UPSTREAM_URL

Listens on 127.0.0.1 (port 0: the kernel picks one) with the given server
certificate, and forwards every request to UPSTREAM_URL (plain HTTP, or
HTTPS with --upstream-insecure / --upstream-cafile), streaming the response
back. HTTP/1.1 with keep-alive and Content-Length request bodies (what
libcurl sends); one thread per client connection, each with its own
upstream connection. With --client-ca a client certificate signed by that
CA is required (OpenSSL then also sends that CA after the server
certificate: the chain it builds from its trust store).

Prints "TLS_PROXY_READY https://127.0.0.1:PORT" on stdout once it listens.
Logs one line per handshake (ok or failed, with OpenSSL's reason) and per
request on stderr, so a test can tell a TLS failure from any other.
Python 3 standard library only.
"""
import argparse
import http.client
import http.server
import socket
import socketserver
import ssl
import sys
import threading
import urllib.parse

# Headers that belong to one connection, never forwarded (RFC 9110 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
              "transfer-encoding", "upgrade", "proxy-authenticate",
              "proxy-authorization"}
# Set by the proxy itself (Expect: BaseHTTPRequestHandler answers it).
HOST_LENGTH_EXPECT = {"host", "content-length", "expect"}
IDLE_TIMEOUT_S = 60
UPSTREAM_TIMEOUT_S = 120
COPY_BYTES = 65536
LINGER_S = 5

_log_lock = threading.Lock()


def log(msg):
    with _log_lock:
        sys.stderr.write("tls_proxy: %s\n" % msg)
        sys.stderr.flush()


class Upstream:
    """Where requests go: scheme, host, port, TLS context."""

    def __init__(self, url, insecure, cafile):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            sys.exit("tls_proxy: upstream must be http(s)://HOST[:PORT]: %s"
                     % url)
        self.https = u.scheme == "https"
        self.host = u.hostname
        self.port = u.port or (443 if self.https else 80)
        self.netloc = u.netloc.rpartition("@")[2]
        self.prefix = u.path.rstrip("/")
        self.ctx = None
        if self.https:
            self.ctx = ssl.create_default_context(cafile=cafile)
            if insecure:
                self.ctx.check_hostname = False
                self.ctx.verify_mode = ssl.CERT_NONE

    def connect(self):
        if self.https:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=UPSTREAM_TIMEOUT_S,
                context=self.ctx)
        return http.client.HTTPConnection(self.host, self.port,
                                          timeout=UPSTREAM_TIMEOUT_S)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def setup(self):
        """The TLS handshake, on this connection's own thread."""
        self.tls_ok = False
        self.upstream = None
        peer = "%s:%d" % self.client_address[:2]
        self.request.settimeout(IDLE_TIMEOUT_S)
        self.request = self.server.ctx.wrap_socket(
            self.request, server_side=True, do_handshake_on_connect=False)
        try:
            self.request.do_handshake()
            self.tls_ok = True
            cert = self.request.getpeercert()
            who = ""
            if cert:
                who = ", client certificate %s" % dict(
                    x[0] for x in cert.get("subject", ())).get("commonName")
            log("handshake ok from %s (%s%s)" % (peer, self.request.version(),
                                                 who))
        except (ssl.SSLError, OSError) as e:
            log("handshake failed from %s: %s" % (peer, e))
            self.linger()
        super().setup()

    def linger(self):
        """After a failed handshake: half-close, then read what the client
        still sends until it closes. Closing at once would make the kernel
        answer the client's data with a reset, which can reach the client
        before OpenSSL's alert does (with TLS 1.3 the client sends its
        request before it learns that its certificate was refused)."""
        s = self.request
        try:
            s.shutdown(socket.SHUT_WR)  # plain TCP from here on
            s.settimeout(LINGER_S)
            while s.recv(COPY_BYTES):
                pass
        except OSError:
            pass

    def handle(self):
        if self.tls_ok:
            super().handle()

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        if self.upstream is not None:
            self.upstream.close()

    def log_message(self, format, *args):
        log("%s %s" % (self.client_address[0], format % args))

    def read_body(self):
        """The request body; None (after answering 411) if it has none
        we can read."""
        te = self.headers.get("Transfer-Encoding", "")
        if te and te.lower() != "identity":
            self.send_error(411, "Content-Length required")
            self.close_connection = True
            return None
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send_upstream(self, body):
        """Sends the request upstream (reconnecting once if the kept-alive
        connection was closed); returns the response."""
        path = self.server.upstream.prefix + self.path
        for attempt in (0, 1):
            if self.upstream is None:
                self.upstream = self.server.upstream.connect()
            c = self.upstream
            try:
                c.putrequest(self.command, path, skip_host=True,
                             skip_accept_encoding=True)
                c.putheader("Host", self.server.upstream.netloc)
                for k, v in self.headers.items():
                    lk = k.lower()
                    if lk not in HOP_BY_HOP and lk not in HOST_LENGTH_EXPECT:
                        c.putheader(k, v)
                if body or self.command in ("POST", "PUT"):
                    c.putheader("Content-Length", str(len(body)))
                c.endheaders(body if body else None)
                return c.getresponse()
            except (http.client.HTTPException, OSError):
                c.close()
                self.upstream = None
                if attempt == 1:
                    raise
        return None  # not reached

    def copy_response(self, resp):
        """Streams the upstream response back (chunked when its length
        is not known)."""
        self.log_request(resp.status)
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        no_body = (self.command == "HEAD" or resp.status in (204, 304)
                   or 100 <= resp.status < 200)
        length = resp.getheader("Content-Length")
        chunked = not no_body and length is None
        if length is not None:
            self.send_header("Content-Length", length)
        elif chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not no_body:
            self.send_header("Content-Length", "0")
        self.end_headers()
        while not no_body:
            data = resp.read(COPY_BYTES)
            if not data:
                break
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            else:
                self.wfile.write(data)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        resp.close()
        if resp.will_close and self.upstream is not None:
            self.upstream.close()
            self.upstream = None

    def forward(self):
        body = self.read_body()
        if body is None:
            return
        try:
            resp = self.send_upstream(body)
        except (http.client.HTTPException, OSError) as e:
            log("upstream %s: %s" % (self.server.upstream.netloc, e))
            self.send_error(502, "upstream unreachable")
            return
        self.copy_response(resp)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = forward


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        log("connection from %s:%d: %s" % (client_address[0],
                                           client_address[1],
                                           sys.exc_info()[1]))


def server_context(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if a.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=a.client_ca)
    return ctx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("upstream", help="http://HOST:PORT of the search engine")
    ap.add_argument("--cert", required=True, help="server certificate (PEM)")
    ap.add_argument("--key", required=True, help="its private key (PEM)")
    ap.add_argument("--client-ca", help="require a client certificate "
                    "signed by this CA (PEM)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--upstream-insecure", action="store_true",
                    help="do not verify an https upstream")
    ap.add_argument("--upstream-cafile", help="CA file for an https upstream")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler, bind_and_activate=True)
    srv.ctx = server_context(a)
    srv.upstream = Upstream(a.upstream, a.upstream_insecure,
                            a.upstream_cafile)
    print("TLS_PROXY_READY https://127.0.0.1:%d" % srv.server_address[1],
          flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
