/**
 * The Node ceiling: a bare node:https server that requires and verifies a client certificate
 * (requestCert + rejectUnauthorized against the bench CA) and answers inline with the
 * upstream's body — no proxying. Child process; argv: CERT KEY CA [on|off] (session tickets).
 * Prints {"port":N}.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { constants } from 'node:crypto';
import { BODY, RESPONSE_HEADERS } from '../fixed-response.ts';

const [certFile, keyFile, caFile, sessionTickets = 'on'] = process.argv.slice(2);
if (certFile === undefined || keyFile === undefined || caFile === undefined) {
  process.stderr.write('usage: node-bare-server.ts CERT KEY CA\n');
  process.exit(2);
}
const server = https.createServer(
  {
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    ca: readFileSync(caFile),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...(sessionTickets === 'off' ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
    keepAliveTimeout: 120_000,
    headersTimeout: 130_000,
  },
  (req, res) => {
    req.resume();
    res.writeHead(200, RESPONSE_HEADERS);
    res.end(BODY);
  },
);
server.on('tlsClientError', () => {
  // Refused handshakes are expected (the probe tries one without a certificate).
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected address');
  process.stdout.write(JSON.stringify({ port: address.port }) + '\n');
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
