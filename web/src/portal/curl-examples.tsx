/**
 * The example curl call for each API of an approved request, naming the files this page gives the
 * developer (the PKCS#12 file it builds, or their own certificate and key) and the API's URL on the
 * gateway's public address, each with a copy button.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { AccessRequestWire } from './portal-api.ts';

export function curlCommand(kind: AccessRequestWire['credential_kind'], fileName: string, url: string): string {
  // Their own certificate: the page never had their key, so there is no PKCS#12 file of ours to name.
  if (kind === 'certificate') return `curl --cert my-certificate.pem --key my-key.pem ${url}`;
  return `curl --cert-type P12 --cert ${fileName}.p12:PASSPHRASE ${url}`;
}

export function CurlExamples(props: {
  kind: AccessRequestWire['credential_kind'];
  fileName: string;
  urls: readonly string[];
}): JSX.Element {
  return (
    <div class="stack curl-examples">
      <p>Call the API with your certificate{props.kind === 'certificate' ? ' and its key' : ''}:</p>
      {props.urls.map((url) => (
        <CopyableCommand key={url} command={curlCommand(props.kind, props.fileName, url)} />
      ))}
    </div>
  );
}

function CopyableCommand({ command }: { command: string }): JSX.Element {
  const [copied, setCopied] = useState<'not yet' | 'copied' | 'failed'>('not yet');
  const copy = (): void => {
    // Absent outside a secure context, refused without the page's focus: say so, never throw.
    const clipboard = (navigator as Partial<Navigator>).clipboard;
    if (clipboard === undefined) {
      setCopied('failed');
      return;
    }
    clipboard.writeText(command).then(
      () => setCopied('copied'),
      () => setCopied('failed'),
    );
  };
  return (
    <div class="command">
      <pre class="pem">
        <code>{command}</code>
      </pre>
      <button type="button" onClick={copy}>
        {copied === 'copied' ? 'Copied' : 'Copy command'}
      </button>
      {copied === 'failed' ? (
        <span class="muted" role="status">
          The browser refused the clipboard: select the line and copy it.
        </span>
      ) : null}
    </div>
  );
}
