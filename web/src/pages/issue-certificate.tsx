import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function IssueCertificate(): JSX.Element {
  return (
    <section>
      <PageHeader title="Issue a client certificate" />
      <p>Not built yet.</p>
    </section>
  );
}
