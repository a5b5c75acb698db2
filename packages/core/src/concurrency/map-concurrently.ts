/**
 * Runs `work` on every item with at most `concurrency` calls in flight (at least one) and resolves
 * with the answers in item order. A rejection rejects the call at once (the other calls in flight
 * carry on: make `work` settle its own errors when every item must be tried).
 */
export async function mapConcurrently<Item, Answer>(
  items: readonly Item[],
  concurrency: number,
  work: (item: Item, position: number) => Promise<Answer>,
): Promise<Answer[]> {
  const answers = new Array<Answer>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const position = next;
      next += 1;
      answers[position] = await work(items[position] as Item, position);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return answers;
}

/** `mapConcurrently` for work whose answers nobody reads. */
export async function forEachConcurrently<Item>(items: readonly Item[], concurrency: number, work: (item: Item, position: number) => Promise<void>): Promise<void> {
  await mapConcurrently(items, concurrency, work);
}
