import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function Overview(): JSX.Element {
  return (
    <section>
      <PageHeader title="Overview" />
      <p>Not built yet.</p>
    </section>
  );
}
