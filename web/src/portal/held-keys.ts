/**
 * Private keys made in this page, by the access request they were made for: kept in memory only
 * (never stored, never sent), so that the PKCS#12 file can be built once the certificate is issued,
 * as long as the page stays open. Gone with the page: the developer downloads the key to keep it.
 */
import type { BrowserKey } from '../crypto/key-and-csr.ts';

export const heldKeys = new Map<string, BrowserKey>();
