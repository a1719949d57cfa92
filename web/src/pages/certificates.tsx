import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function CertificatesPage(): JSX.Element {
  return (
    <section>
      <PageHeader title="Client certificates" />
      <p>Not built yet.</p>
    </section>
  );
}
