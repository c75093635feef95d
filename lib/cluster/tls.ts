// Mutual TLS on the cluster port (optional): every node holds a certificate
// from the cluster's CA that names it (its subject CN, or a DNS subject
// alternative name, is the node's name). A dialer accepts only the node it
// dialed; an acceptor accepts only a certificate from the CA, and after the
// HMAC handshake (which still runs, inside TLS) only one that names the node
// the handshake proved. The frames after it are then encrypted and
// authenticated by TLS.

import type { PeerCertificate, TLSSocket } from 'node:tls';

/** PEM text (or bytes) of this node's certificate and key, and of the CA every node's certificate comes from. */
export interface ClusterTlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  ca: string | Buffer;
}

/** Whether `cert` names `node`: its CN, or one of its DNS subject alternative names. */
export function certificateNames(cert: PeerCertificate | undefined, node: string): boolean {
  if (!cert || Object.keys(cert).length === 0) return false;
  const altNames = (cert.subjectaltname ?? '').split(',').map((entry) => entry.trim());
  return cert.subject?.CN === node || altNames.includes(`DNS:${node}`);
}

/** The reason a verified TLS peer is not `node`, or undefined if it is. */
export function wrongPeer(socket: TLSSocket, node: string): string | undefined {
  const cert = socket.getPeerCertificate();
  if (certificateNames(cert, node)) return undefined;
  return `its TLS certificate names ${cert?.subject?.CN ?? 'nobody'}, not ${node}`;
}
