import { parse } from 'graphql';
import { DocumentStore } from '../../src/http/document-store';

/* Apollo's parsed documents kept from their second sight on (src/http/document-store.ts). */

test('a document is kept at its second set, not its first; others seen once are never kept', async () => {
  const store = new DocumentStore();
  const portal = parse('{ rankings(year: 2024, unitKind: COMMUNE) { totalCount } }');
  await store.set('portal', portal);
  expect(await store.get('portal')).toBeUndefined();
  for (let i = 0; i < 100; i++) await store.set(`nonce-${i}`, parse(`#${i}\n{ units { totalCount } }`));
  await store.set('portal', portal);
  expect(await store.get('portal')).toBe(portal);
  expect(store.size).toBe(1);
  for (let i = 0; i < 100; i++) expect(await store.get(`nonce-${i}`)).toBeUndefined();
});

test('kept documents are bounded by count, least recently used first out', async () => {
  const store = new DocumentStore();
  const doc = parse('{ units { totalCount } }');
  const keep = async (key: string) => { await store.set(key, doc); await store.set(key, doc); };
  for (let i = 0; i < 2000; i++) await keep(`k${i}`);
  expect(store.size).toBe(2000);
  expect(await store.get('k0')).toBe(doc); // used: now the most recent
  await keep('k2000');
  expect(store.size).toBe(2000);
  expect(await store.get('k0')).toBe(doc);
  expect(await store.get('k1')).toBeUndefined();
  expect(await store.delete('k2')).toBe(true);
  expect(await store.get('k2')).toBeUndefined();
  expect(store.size).toBe(1999);
});
