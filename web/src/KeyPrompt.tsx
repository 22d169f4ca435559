import { useState } from 'react';

/** Asked for when the gateway wants a credential; kept for this browser session only. */
export function KeyPrompt({ onKey }: { onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  return (
    <form
      className="key-prompt"
      onSubmit={(e) => {
        e.preventDefault();
        if (key.trim()) onKey(key.trim());
      }}
    >
      <p>This gateway needs an API key. It is kept in this browser tab only, until you close it.</p>
      <input data-testid="api-key" type="password" autoComplete="off" placeholder="API key" value={key} onChange={(e) => setKey(e.target.value)} />
      <button type="submit">Use key</button>
    </form>
  );
}
