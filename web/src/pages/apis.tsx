import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function ApisPage(): JSX.Element {
  return (
    <section>
      <PageHeader title="APIs" />
      <p>Not built yet.</p>
    </section>
  );
}
