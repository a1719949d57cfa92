/**
 * A PKCS#12 file (RFC 7292) of a certificate and its private key, made in the page: the key is in a
 * PKCS8ShroudedKeyBag encrypted with PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC; RFC 8018), the
 * certificate in a plain CertBag, both tagged with the same localKeyId, and the whole file
 * authenticated by an HMAC-SHA-256 MAC (RFC 7292 appendix B key derivation). OpenSSL 3 and curl
 * (`--cert-type P12`) open it; so do the browsers' and operating systems' certificate stores.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
const LOCAL_KEY_ID = '1.2.840.113549.1.9.21';
const FRIENDLY_NAME = '1.2.840.113549.1.9.20';
export const PKCS12_ITERATIONS = 100_000;

function bytes(view: ArrayBuffer | Uint8Array): ArrayBuffer {
  return view instanceof Uint8Array ? view.slice().buffer : view;
}

export async function buildPkcs12(
  certificateDer: ArrayBuffer | Uint8Array,
  pkcs8Der: ArrayBuffer | Uint8Array,
  passphrase: string,
  friendlyName: string,
  iterations: number = PKCS12_ITERATIONS,
): Promise<ArrayBuffer> {
  const password = bytes(new TextEncoder().encode(passphrase));
  const certificate = pkijs.Certificate.fromBER(bytes(certificateDer));
  const keyInfo = pkijs.PrivateKeyInfo.fromBER(bytes(pkcs8Der));
  const keyId = await crypto.subtle.digest('SHA-256', bytes(certificateDer));
  const attributes = (): pkijs.Attribute[] => [
    new pkijs.Attribute({ type: LOCAL_KEY_ID, values: [new asn1js.OctetString({ valueHex: keyId })] }),
    new pkijs.Attribute({ type: FRIENDLY_NAME, values: [new asn1js.BmpString({ value: friendlyName })] }),
  ];
  const keyBag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: keyInfo });
  const authenticatedSafe = new pkijs.AuthenticatedSafe({
    parsedValue: {
      safeContents: [
        {
          privacyMode: 0,
          value: new pkijs.SafeContents({
            safeBags: [
              new pkijs.SafeBag({
                bagId: CERT_BAG,
                bagValue: new pkijs.CertBag({ parsedValue: certificate }),
                bagAttributes: attributes(),
              }),
            ],
          }),
        },
        {
          privacyMode: 0,
          value: new pkijs.SafeContents({
            safeBags: [new pkijs.SafeBag({ bagId: SHROUDED_KEY_BAG, bagValue: keyBag, bagAttributes: attributes() })],
          }),
        },
      ],
    },
  });
  await keyBag.makeInternalValues({
    password,
    // pkijs draws the IV itself: the type asks for one that it does not read.
    contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 } as unknown as pkijs.ContentEncryptionAlgorithm,
    hmacHashAlgorithm: 'SHA-256',
    iterationCount: iterations,
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [{}, {}] });
  const pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues({
    password,
    iterations,
    pbkdf2HashAlgorithm: { name: 'SHA-256' },
    hmacHashAlgorithm: 'SHA-256',
  });
  return pfx.toSchema().toBER(false);
}
