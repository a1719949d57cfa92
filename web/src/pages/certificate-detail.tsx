import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function CertificateDetail({ id }: { id: string }): JSX.Element {
  return (
    <section>
      <PageHeader title="Client certificate" />
      <p>{id}</p>
    </section>
  );
}
