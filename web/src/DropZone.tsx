import { useState } from 'react';

const ACCEPT = 'image/png,image/jpeg';

/**
 * Where images come in: a file input (one or many), a folder input (a camera's export folder),
 * and drag-and-drop over both. Anything that is not PNG or JPEG is left out before it is sent.
 */
export function DropZone({ disabled, onFiles }: { disabled: boolean; onFiles: (files: File[]) => void }) {
  const [over, setOver] = useState(false);
  const take = (list: FileList | null) => {
    const files = [...(list ?? [])].filter((f) => f.type === 'image/png' || f.type === 'image/jpeg');
    if (files.length) onFiles(files);
  };
  return (
    <div
      className={`drop ${over ? 'over' : ''} ${disabled ? 'disabled' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (!disabled) take(e.dataTransfer.files);
      }}
    >
      <p>Drop PNG or JPEG images here</p>
      <div className="pickers">
        <label className="button">
          Choose images
          <input data-testid="file-input" type="file" accept={ACCEPT} multiple disabled={disabled} onChange={(e) => take(e.target.files)} hidden />
        </label>
        <label className="button">
          Choose a folder
          {/* webkitdirectory is not in React's types; every current browser knows it. */}
          <input type="file" multiple disabled={disabled} onChange={(e) => take(e.target.files)} hidden {...{ webkitdirectory: '' }} />
        </label>
      </div>
    </div>
  );
}
