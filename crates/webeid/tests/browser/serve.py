# A static https server on 127.0.0.1 (a free port, printed first) for the browser test.
# Usage: serve.py DIR CERT KEY
import http.server, ssl, sys, os

srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True); os.chdir(sys.argv[1])
srv.serve_forever()
