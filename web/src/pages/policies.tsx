import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function PoliciesPage(): JSX.Element {
  return (
    <section>
      <PageHeader title="Policies" />
      <p>Not built yet.</p>
    </section>
  );
}
