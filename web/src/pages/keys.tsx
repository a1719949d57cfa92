import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function KeysPage(): JSX.Element {
  return (
    <section>
      <PageHeader title="Keys" />
      <p>Not built yet.</p>
    </section>
  );
}
