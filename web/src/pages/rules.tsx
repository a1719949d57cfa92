import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function RulesPage(): JSX.Element {
  return (
    <section>
      <PageHeader title="Rules" />
      <p>Not built yet.</p>
    </section>
  );
}
