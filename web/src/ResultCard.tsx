import { useState } from 'react';
import { execute, GatewayError } from './api';
import { AddLabelledImageDocument, CreateLabelledDatasetDocument, type DetectionViewFragment } from './gql/graphql';
import { MaskCanvas, type View } from './MaskCanvas';

export interface ImageResult {
  key: string;
  file: File;
  /** An object URL of the file: the picture is drawn from the person's own bytes. */
  imageUrl: string;
  projectName: string;
  version: string;
  state: 'pending' | 'done' | 'failed';
  result?: DetectionViewFragment;
  error?: { code: string; message: string };
}

const pct = (v: number) => `${(v * 100).toFixed(v < 0.01 ? 2 : 1)}%`;

/** One image's verdict, its anomalies (each one toggled on the picture), and the correction buttons. */
export function ResultCard({ item }: { item: ImageResult }) {
  const r = item.result;
  const [view, setView] = useState<View>('mask');
  const [opacity, setOpacity] = useState(0.6);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [feedback, setFeedback] = useState<string | null>(null);
  const types = r?.anomalies?.filter((a) => a.name !== 'background') ?? [];
  const shownColors = new Set(types.filter((a) => !hidden.has(a.name)).map((a) => a.pixelAnomaly.color.toLowerCase()));

  const correct = async () => {
    if (!r) return;
    // A flagged image the person says is fine goes in as normal, and the reverse.
    const asNormal = r.isAnomalous;
    setFeedback('Adding…');
    try {
      const vars = { projectName: item.projectName, normalImages: null, anomalyImages: null };
      const files = asNormal ? { normalImages: [item.file] } : { anomalyImages: [item.file] };
      await execute(AddLabelledImageDocument, vars, files).catch((err: unknown) => {
        if (!(err instanceof GatewayError) || err.code !== 'DATASET_NOT_FOUND') throw err;
        return execute(CreateLabelledDatasetDocument, vars, files);
      });
      setFeedback(`Added to the training dataset as ${asNormal ? 'normal' : 'anomalous'}; the next training learns from it.`);
    } catch (err) {
      setFeedback(
        err instanceof GatewayError && err.code === 'FORBIDDEN' ? 'Only a credential with the admin scope may change datasets.' : (err as Error).message,
      );
    }
  };

  return (
    <article className={`card ${item.state} ${r ? (r.isAnomalous ? 'anomalous' : 'normal') : ''}`} data-testid="result-card">
      <MaskCanvas
        imageUrl={item.imageUrl}
        maskUrl={r?.anomalyMask?.url ?? null}
        heatUrl={r?.heatMap?.url ?? null}
        view={view}
        opacity={opacity}
        colors={shownColors}
      />
      <div className="facts">
        <div className="name" title={item.file.name}>
          {item.file.name}
        </div>
        {item.state === 'pending' ? <div className="verdict">Judging…</div> : null}
        {item.error ? (
          <div className="verdict failed" data-testid="verdict">
            {item.error.code}: {item.error.message}
          </div>
        ) : null}
        {r ? (
          <>
            <div className="verdict" data-testid="verdict">
              {r.isAnomalous ? 'Anomalous' : 'Normal'} <span className="confidence">{pct(r.confidence)} sure</span>
            </div>
            <div className="model">
              {r.model.projectName} v{r.model.version}
              {r.cached ? ' · from cache' : ''}
            </div>
            {types.length ? (
              <ul className="types">
                {types.map((a) => (
                  <li key={a.name}>
                    <label>
                      <input
                        data-testid="type-toggle"
                        type="checkbox"
                        checked={!hidden.has(a.name)}
                        onChange={() =>
                          setHidden((h) => {
                            const next = new Set(h);
                            if (next.has(a.name)) next.delete(a.name);
                            else next.add(a.name);
                            return next;
                          })
                        }
                      />
                      <span className="swatch" style={{ background: a.pixelAnomaly.color }} />
                      {a.name} <span className="area">{pct(a.pixelAnomaly.totalPercentageArea)} of the image</span>
                    </label>
                  </li>
                ))}
              </ul>
            ) : null}
            <div className="view">
              {(['mask', 'heat', 'image'] as const).map((v) => (
                <label key={v}>
                  <input
                    type="radio"
                    name={`view-${item.key}`}
                    checked={view === v}
                    disabled={(v === 'mask' && !r.anomalyMask) || (v === 'heat' && !r.heatMap)}
                    onChange={() => setView(v)}
                  />
                  {v === 'mask' ? 'Mask' : v === 'heat' ? 'Heat map' : 'Image'}
                </label>
              ))}
            </div>
            <label className="opacity">
              Opacity
              <input data-testid="opacity" type="range" min={0} max={1} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} />
            </label>
            <div className="feedback">
              <button data-testid="feedback" onClick={() => void correct()} disabled={feedback === 'Adding…' || !!feedback?.startsWith('Added')}>
                {r.isAnomalous ? 'Mark as false alarm' : 'Mark as missed anomaly'}
              </button>
              {feedback ? <p className="hint">{feedback}</p> : null}
            </div>
          </>
        ) : null}
      </div>
    </article>
  );
}
