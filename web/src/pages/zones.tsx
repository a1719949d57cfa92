import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function ZonesPage(): JSX.Element {
  return (
    <section>
      <PageHeader title="Zones & hostnames" />
      <p>Not built yet.</p>
    </section>
  );
}
