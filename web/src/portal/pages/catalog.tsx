/** The products the operator publishes: their APIs, description and how access is approved. */
import type { JSX } from 'preact';
import { useLoad } from '../../components/async.ts';
import { Empty, ErrorBox, Loading, PageHeader } from '../../components/ui.tsx';
import { portalCall, type ProductWire } from '../portal-api.ts';

export function CatalogPage(): JSX.Element {
  const [products] = useLoad(() => portalCall<ProductWire[]>('GET', '/api/products'), []);
  return (
    <section class="stack">
      <PageHeader title="Products" />
      <p class="lead">
        To call a product's APIs, open one of <a href="#/">your apps</a> and request access to it there.
      </p>
      {products.state === 'failed' ? <ErrorBox error={products.error} /> : null}
      {products.value === undefined ? (
        <Loading what="products" />
      ) : products.value.length === 0 ? (
        <Empty>No products are published yet.</Empty>
      ) : (
        <div class="stack">
          {products.value.map((product) => (
            <article class="card stack" key={product.id}>
              <h2>{product.name}</h2>
              <p>{product.description}</p>
              <p class="muted">
                {product.approval_mode === 'automatic'
                  ? 'Access is granted at once.'
                  : 'The operator approves each request.'}{' '}
                Certificates are valid {product.validity_days} days.
              </p>
              <ul>
                {product.apis.map((api) => (
                  <li key={api.id}>
                    <strong>{api.name}</strong> <code>{api.url}</code>
                  </li>
                ))}
              </ul>
            </article>
          ))}
        </div>
      )}
    </section>
  );
}
