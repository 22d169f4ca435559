import type { TypedDocumentString } from './gql/graphql';

/**
 * The page's one way to the gateway: its own /graphql, with the typed operations generated from
 * web/src/operations. JSON for everything, multipart (the GraphQL multipart request spec) when
 * variables hold files. The API key a person typed is kept for this browser session only.
 */

const KEY = 'lookout-gateway.api-key';

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** An error the gateway answered with, by its stable code. */
export class GatewayError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Files = Record<string, File | File[] | null | undefined>;

export async function execute<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  files: Files = {},
): Promise<TResult> {
  const headers: Record<string, string> = {};
  const key = apiKey();
  if (key) headers['x-api-key'] = key;
  const query = document.toString();
  let body: BodyInit;
  const fileEntries = Object.entries(files).filter(([, f]) => f != null && (!Array.isArray(f) || f.length > 0));
  if (fileEntries.length) {
    // The spec's three parts: operations (files as null), map (part -> variable paths), the files.
    const vars: Record<string, unknown> = { ...(variables as Record<string, unknown>) };
    const map: Record<string, string[]> = {};
    const parts: File[] = [];
    for (const [name, f] of fileEntries) {
      const list = Array.isArray(f) ? f : [f!];
      vars[name] = Array.isArray(f) ? list.map(() => null) : null;
      list.forEach((file, i) => {
        map[String(parts.length)] = [Array.isArray(f) ? `variables.${name}.${i}` : `variables.${name}`];
        parts.push(file);
      });
    }
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables: vars }));
    form.append('map', JSON.stringify(map));
    parts.forEach((file, i) => form.append(String(i), file, file.name));
    body = form;
    // CSRF protection: a browser cannot send this header cross-site without a preflight.
    headers['apollo-require-preflight'] = 'true';
  } else {
    body = JSON.stringify({ query, variables });
    headers['content-type'] = 'application/json';
  }
  const res = await fetch('/graphql', { method: 'POST', headers, body });
  let payload: { data?: TResult | null; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    payload = await res.json();
  } catch {
    throw new GatewayError('BAD_RESPONSE', `The gateway answered ${res.status} without JSON.`);
  }
  const error = payload.errors?.[0];
  if (error) throw new GatewayError(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR', error.message);
  if (!payload.data) throw new GatewayError('BAD_RESPONSE', 'The gateway answered without data.');
  return payload.data;
}
