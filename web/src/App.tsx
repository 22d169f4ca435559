import { useCallback, useEffect, useRef, useState } from 'react';
import { execute, GatewayError, setApiKey } from './api';
import { DetectImageDocument, ProjectsDocument, type ProjectsQuery } from './gql/graphql';
import { DropZone } from './DropZone';
import { EarlierDetections } from './EarlierDetections';
import { KeyPrompt } from './KeyPrompt';
import { ModelPanel } from './ModelPanel';
import { ResultCard, type ImageResult } from './ResultCard';

type Projects = ProjectsQuery['projects'];

/** Statuses that change by themselves: while a model is in one, the page polls. */
const MOVING = new Set(['TRAINING', 'STARTING_HOSTING', 'STOPPING_HOSTING', 'DELETING']);
/** Detections the page runs at once: enough to keep the engine busy, few enough to show progress. */
const CONCURRENCY = 2;
const RECENT = 50;

/**
 * The page a line engineer or a quality lead opens: choose a project and model, drop images, see
 * each verdict with its mask or heat map over the picture, correct the model where it is wrong.
 */
export function App() {
  const [projects, setProjects] = useState<Projects | null>(null);
  const [needKey, setNeedKey] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [projectName, setProjectName] = useState('');
  const [version, setVersion] = useState('latest');
  const [results, setResults] = useState<ImageResult[]>([]);
  const queue = useRef<ImageResult[]>([]);
  const running = useRef(0);

  const load = useCallback(async () => {
    try {
      const data = await execute(ProjectsDocument, {});
      setProjects(data.projects);
      setNeedKey(false);
      setProblem(null);
      setProjectName((current) => current || data.projects[0]?.name || '');
    } catch (err) {
      if (err instanceof GatewayError && (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN')) {
        setNeedKey(true);
        setProblem(err.code === 'FORBIDDEN' ? err.message : null);
      } else setProblem((err as Error).message);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const project = projects?.find((p) => p.name === projectName) ?? null;
  const models = project?.modelConnection.edges.map((e) => e.node) ?? [];
  const moving = models.some((m) => MOVING.has(m.status));
  useEffect(() => {
    if (!moving) return;
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [moving, load]);

  const update = useCallback((key: string, change: Partial<ImageResult>) => {
    setResults((list) => list.map((r) => (r.key === key ? { ...r, ...change } : r)));
  }, []);

  const pump = useCallback(() => {
    while (running.current < CONCURRENCY && queue.current.length) {
      const item = queue.current.shift()!;
      running.current++;
      execute(DetectImageDocument, { projectName: item.projectName, modelVersion: item.version, image: item.file }, { image: item.file })
        .then(
          (data) => update(item.key, { state: 'done', result: data.detectAnomalies }),
          (err: Error) => update(item.key, { state: 'failed', error: { code: err instanceof GatewayError ? err.code : 'NETWORK', message: err.message } }),
        )
        .finally(() => {
          running.current--;
          pump();
        });
    }
  }, [update]);

  const detect = useCallback(
    (files: File[]) => {
      if (!projectName) return;
      const items: ImageResult[] = files.map((file) => ({
        key: `${Date.now()}-${Math.random().toString(36).slice(2)}`,
        file,
        imageUrl: URL.createObjectURL(file),
        projectName,
        version,
        state: 'pending',
      }));
      queue.current.push(...items);
      setResults((list) => {
        const next = [...items.slice().reverse(), ...list];
        // Object URLs of results that scroll off are released with them.
        next.slice(RECENT).forEach((r) => URL.revokeObjectURL(r.imageUrl));
        return next.slice(0, RECENT);
      });
      pump();
    },
    [projectName, version, pump],
  );

  return (
    <div className="page">
      <header>
        <h1>lookout-gateway</h1>
        <span className="tagline">visual anomaly detection</span>
        <nav>
          <a href="/graphql">GraphiQL</a>
          {needKey ? null : (
            <button
              className="link"
              onClick={() => {
                setApiKey(null);
                void load();
              }}
            >
              Forget API key
            </button>
          )}
        </nav>
      </header>
      {problem ? (
        <p className="problem" role="alert">
          {problem}
        </p>
      ) : null}
      {needKey ? (
        <KeyPrompt
          onKey={(key) => {
            setApiKey(key);
            void load();
          }}
        />
      ) : null}
      {projects && !needKey ? (
        <main>
          <aside>
            <label>
              Project
              <select data-testid="project" value={projectName} onChange={(e) => setProjectName(e.target.value)}>
                {projects.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
            {project ? <ModelPanel models={models} selected={version} onSelect={setVersion} onChanged={load} /> : <p>No projects yet.</p>}
          </aside>
          <section className="work">
            <DropZone disabled={!project} onFiles={detect} />
            <h2>Recent detections</h2>
            {results.length === 0 ? <p className="hint">Results of the images you drop appear here, newest first.</p> : null}
            <div className="results">
              {results.map((r) => (
                <ResultCard key={r.key} item={r} />
              ))}
            </div>
            {project ? <EarlierDetections projectName={project.name} refresh={results.filter((r) => r.state !== 'pending').length} /> : null}
          </section>
        </main>
      ) : null}
    </div>
  );
}
