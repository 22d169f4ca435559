import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { ApolloServerPlugin } from '@apollo/server';
import { GRAPHIQL_TABS } from './graphiql-examples';

/**
 * GraphiQL served entirely from installed packages. Apollo's default landing page loads its
 * sandbox and fonts from CDNs and is blank offline; GraphiQL 3's UMD build with React 18 needs
 * only four same-origin files.
 */
export const GRAPHIQL_ASSETS_PATH = '/graphiql-assets';

// graphiql's exports map hides its .min files; resolve the package root instead.
const pkgDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

const ASSETS: Record<string, string> = {
  'graphiql.min.css': join(pkgDir('graphiql'), 'graphiql.min.css'),
  'graphiql.min.js': join(pkgDir('graphiql'), 'graphiql.min.js'),
  'react.production.min.js': join(pkgDir('react'), 'umd', 'react.production.min.js'),
  'react-dom.production.min.js': join(pkgDir('react-dom'), 'umd', 'react-dom.production.min.js'),
};

/** Serves one of the four files; false when `name` is not one of them. */
export function serveGraphiqlAsset(name: string, res: ServerResponse): boolean {
  const file = ASSETS[name];
  if (!file) return false;
  res.writeHead(200, {
    'content-type': name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=86400, immutable',
  });
  createReadStream(file).pipe(res);
  return true;
}

// Inline script and data, escaped for a <script> element: `</script>` cannot end it early.
const json = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function page(endpoint: string): string {
  const a = GRAPHIQL_ASSETS_PATH;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lookout-gateway · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${a}/graphiql.min.css">
<style>
  html, body { height: 100%; margin: 0; }
  body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
  #bar { display: flex; gap: 12px; align-items: center; padding: 6px 12px; font-size: 13px; border-bottom: 1px solid #d8dde4; }
  #bar form { margin-left: auto; display: flex; gap: 6px; }
  #graphiql { flex: 1; min-height: 0; }
</style>
</head>
<body>
<div id="bar">
  <strong>lookout-gateway</strong>
  <span>GraphiQL cannot attach files: try images on the <a href="/">web page</a>, or see the out-of-band tabs.</span>
  <form id="key"><input type="password" name="key" placeholder="API key (kept for this tab)" autocomplete="off"><button>Use</button></form>
</div>
<div id="graphiql">Loading GraphiQL…</div>
<script src="${a}/react.production.min.js"></script>
<script src="${a}/react-dom.production.min.js"></script>
<script src="${a}/graphiql.min.js"></script>
<script>
  // The same session key the web page keeps: a person who entered it there is known here too.
  const KEY = 'lookout-gateway.api-key';
  document.getElementById('key').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = e.target.key.value.trim();
    if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
    location.reload();
  });
  const key = sessionStorage.getItem(KEY);
  const headers = Object.assign({ 'apollo-require-preflight': 'true' }, key ? { 'x-api-key': key } : {});
  const fetcher = GraphiQL.createFetcher({ url: ${json(endpoint)}, headers });
  const defaultTabs = ${json(GRAPHIQL_TABS)};
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, { fetcher, defaultTabs, defaultEditorToolsVisibility: true }));
</script>
</body>
</html>`;
}

/** Apollo plugin: GraphiQL as the landing page of the GraphQL endpoint (GET with Accept: text/html). */
export function graphiqlLandingPage(endpoint = '/graphql'): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html: page(endpoint) };
        },
      };
    },
  };
}
