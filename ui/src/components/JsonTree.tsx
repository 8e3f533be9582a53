/** A decoded JSON value as a tree whose objects and arrays fold (`<details>`); big ones start folded. */
export function JsonTree({ value, label }: { value: unknown; label?: string }) {
  return (
    <ul className="json-tree" aria-label={label}>
      <JsonNode value={value} />
    </ul>
  );
}

export function JsonNode({ value, name }: { value: unknown; name?: string }) {
  const label = name !== undefined ? <span className="json-key">{JSON.stringify(name)}: </span> : null;
  if (value === null || typeof value !== 'object') {
    const cls = typeof value === 'string' ? 'json-str' : typeof value === 'number' ? 'json-num' : 'json-lit';
    return (
      <li>
        {label}
        <span className={cls}>{JSON.stringify(value)}</span>
      </li>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as object);
  return (
    <li>
      <details open={entries.length <= 50}>
        <summary>
          {label}
          <span className="muted">{Array.isArray(value) ? `[${entries.length} items]` : `{${entries.length} keys}`}</span>
        </summary>
        <ul>
          {entries.slice(0, 500).map(([k, v]) => (
            <JsonNode key={k} name={Array.isArray(value) ? undefined : k} value={v} />
          ))}
        </ul>
      </details>
    </li>
  );
}
