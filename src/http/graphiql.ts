import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { ApolloServerPlugin } from '@apollo/server';

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

function page(endpoint: string): string {
  const a = GRAPHIQL_ASSETS_PATH;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lookout-gateway · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${a}/graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="${a}/react.production.min.js"></script>
<script src="${a}/react-dom.production.min.js"></script>
<script src="${a}/graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: ${JSON.stringify(endpoint)}, headers: { 'apollo-require-preflight': 'true' } });
  const defaultQuery = '# Models this gateway serves.\\n{\\n  projects {\\n    name\\n    models { version status type performance { f1Score precision recall } }\\n  }\\n}\\n';
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, { fetcher, defaultQuery }));
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
