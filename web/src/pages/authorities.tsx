import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function AuthoritiesPage(): JSX.Element {
  return (
    <section>
      <PageHeader title="Certificate authorities" />
      <p>Not built yet.</p>
    </section>
  );
}
