/**
 * A function of a text that remembers its answers for the most recent `capacity` texts, least
 * recently used out first: passages agents pull come back, and what is worked out from one (its
 * token count, its word sets) is the same each time.
 */
export function remembered<V>(capacity: number, compute: (text: string) => V): (text: string) => V {
  const kept = new Map<string, V>();
  return (text) => {
    let value = kept.get(text);
    if (value === undefined) {
      value = compute(text);
      if (kept.size >= capacity) kept.delete(kept.keys().next().value!);
    } else kept.delete(text);
    kept.set(text, value);
    return value;
  };
}
