import { useState } from 'react';
import { execute, GatewayError } from './api';
import { StartModelDocument, StopModelDocument, type ModelSummaryFragment } from './gql/graphql';

const percent = (v: number | null | undefined) => (v == null ? '–' : `${Math.round(v * 100)}%`);

/**
 * A project's models: which one judges the images (`latest` by default), each one's status and
 * test figures, a training's progress, and Start/Stop for callers allowed to manage models.
 */
export function ModelPanel(props: { models: ModelSummaryFragment[]; selected: string; onSelect: (version: string) => void; onChanged: () => Promise<void> }) {
  const { models, selected, onSelect, onChanged } = props;
  const [busy, setBusy] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const act = async (model: ModelSummaryFragment, start: boolean) => {
    setBusy(model.version);
    setProblem(null);
    try {
      const vars = { projectName: model.projectName, version: model.version };
      if (start) await execute(StartModelDocument, vars);
      else await execute(StopModelDocument, vars);
      await onChanged();
    } catch (err) {
      setProblem(
        err instanceof GatewayError && err.code === 'FORBIDDEN' ? 'Only a credential with the admin scope may start or stop models.' : (err as Error).message,
      );
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="models">
      <label>
        Model
        <select data-testid="model" value={selected} onChange={(e) => onSelect(e.target.value)}>
          <option value="latest">latest</option>
          {models.map((m) => (
            <option key={m.version} value={m.version}>
              version {m.version}
            </option>
          ))}
        </select>
      </label>
      {problem ? <p className="problem">{problem}</p> : null}
      <ul>
        {models.map((m) => {
          const figures = m.operatingPoint ?? m.performance;
          return (
            <li key={m.version} data-testid="model-row" className={m.version === selected ? 'chosen' : ''}>
              <div className="row">
                <strong>v{m.version}</strong>
                <span className={`status ${m.status.toLowerCase()}`}>{m.status.replace(/_/g, ' ').toLowerCase()}</span>
                <span className="type">{m.type?.toLowerCase() ?? ''}</span>
              </div>
              {figures ? (
                <div className="figures" title="On the model's test images">
                  F1 {percent(figures.f1Score)} · precision {percent(figures.precision)} · recall {percent(figures.recall)}
                </div>
              ) : null}
              {m.training ? (
                <div className="training">
                  <progress value={m.training.total ? m.training.done : undefined} max={m.training.total || undefined} />
                  <span>
                    {m.training.stage}
                    {m.training.total ? ` ${m.training.done}/${m.training.total}` : ''}
                  </span>
                </div>
              ) : null}
              {m.statusMessage && m.status.endsWith('FAILED') ? <div className="problem">{m.statusMessage}</div> : null}
              <div className="actions">
                {m.status === 'TRAINED' || m.status === 'HOSTING_FAILED' ? (
                  <button disabled={busy !== null} onClick={() => void act(m, true)}>
                    Start
                  </button>
                ) : null}
                {m.status === 'HOSTED' ? (
                  <button disabled={busy !== null} onClick={() => void act(m, false)}>
                    Stop
                  </button>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
