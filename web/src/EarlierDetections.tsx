import { useEffect, useState } from 'react';
import { execute } from './api';
import { RecentDetectionsDocument, type RecentDetectionsQuery } from './gql/graphql';

type Edge = NonNullable<RecentDetectionsQuery['project']>['recentDetections']['edges'][number];

/**
 * What the project's models judged lately, from any client or replica (the gateway's own list,
 * newest first): a quality lead's view of the line, with the overlays the gateway draws.
 */
export function EarlierDetections({ projectName, refresh }: { projectName: string; refresh: number }) {
  const [edges, setEdges] = useState<Edge[]>([]);
  const [total, setTotal] = useState(0);
  useEffect(() => {
    let cancelled = false;
    execute(RecentDetectionsDocument, { projectName, first: 12 }).then(
      (data) => {
        if (cancelled || !data.project) return;
        setEdges(data.project.recentDetections.edges);
        setTotal(data.project.recentDetections.totalCount);
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [projectName, refresh]);
  if (!edges.length) return null;
  return (
    <>
      <h2>
        On this project lately <span className="hint">({total} held by the gateway)</span>
      </h2>
      <div className="earlier" data-testid="earlier">
        {edges.map(({ node, detectedAt }) => (
          <figure key={node.id} className={node.isAnomalous ? 'anomalous' : 'normal'}>
            {node.overlay ? <img src={node.overlay.url} alt={node.isAnomalous ? 'anomalous part' : 'normal part'} loading="lazy" /> : <div className="noimg" />}
            <figcaption>
              <strong>{node.isAnomalous ? 'Anomalous' : 'Normal'}</strong> {Math.round(node.confidence * 100)}%
              <br />
              <span className="hint">
                v{node.model.version} · {new Date(detectedAt).toLocaleTimeString()}
              </span>
            </figcaption>
          </figure>
        ))}
      </div>
    </>
  );
}
