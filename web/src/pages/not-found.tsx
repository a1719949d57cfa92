import type { JSX } from 'preact';
import { PageHeader } from '../components/ui.tsx';

export function NotFound(): JSX.Element {
  return (
    <section>
      <PageHeader title="Not found" />
      <p>
        There is no such page. <a href="#/">Back to the overview</a>.
      </p>
    </section>
  );
}
