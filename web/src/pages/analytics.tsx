import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function AnalyticsPage(): JSX.Element {
  return (
    <section>
      <PageHeader title="Analytics" />
      <p>Not built yet.</p>
    </section>
  );
}
