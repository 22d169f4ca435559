import { useEffect, useRef } from 'react';

export type View = 'mask' | 'heat' | 'image';

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    // Masks come from signed URLs that may be on another origin (PUBLIC_BASE_URL); reading their
    // pixels needs CORS, which the gateway grants for them.
    if (!url.startsWith('blob:')) img.crossOrigin = 'anonymous';
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`could not load ${url.slice(0, 80)}`));
    img.src = url;
  });
}

const hex = (r: number, g: number, b: number) => `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;

/**
 * The person's image with what the model found over it: the mask with only the chosen anomaly
 * types, or the heat map, at the chosen opacity. Drawn in the browser so the slider and the
 * toggles answer at once, without another request. The image is drawn as the browser shows it
 * (EXIF orientation applied), which is how the gateway judged it and sized the mask.
 */
export function MaskCanvas(props: { imageUrl: string; maskUrl: string | null; heatUrl: string | null; view: View; opacity: number; colors: Set<string> }) {
  const { imageUrl, maskUrl, heatUrl, view, opacity, colors } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const colorKey = [...colors].sort().join(',');

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const image = await loadImage(imageUrl);
      const layerUrl = view === 'mask' ? maskUrl : view === 'heat' ? heatUrl : null;
      const layer = layerUrl ? await loadImage(layerUrl).catch(() => null) : null;
      const c = canvas.current;
      if (cancelled || !c) return;
      c.width = image.naturalWidth;
      c.height = image.naturalHeight;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(image, 0, 0);
      if (!layer) return;
      if (view === 'heat') {
        ctx.globalAlpha = opacity;
        ctx.drawImage(layer, 0, 0, c.width, c.height);
        ctx.globalAlpha = 1;
        return;
      }
      // The mask: white is background; each other colour is one anomaly type, shown if chosen.
      const off = document.createElement('canvas');
      off.width = c.width;
      off.height = c.height;
      const octx = off.getContext('2d')!;
      octx.imageSmoothingEnabled = false;
      octx.drawImage(layer, 0, 0, c.width, c.height);
      const px = octx.getImageData(0, 0, c.width, c.height);
      const d = px.data;
      const alpha = Math.round(opacity * 255);
      for (let i = 0; i < d.length; i += 4) {
        const white = d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255;
        d[i + 3] = white || !colors.has(hex(d[i], d[i + 1], d[i + 2])) ? 0 : alpha;
      }
      octx.putImageData(px, 0, 0);
      ctx.drawImage(off, 0, 0);
    })().catch(() => undefined);
    return () => {
      cancelled = true;
    };
    // colorKey stands for colors: a new Set each render must not redraw.
  }, [imageUrl, maskUrl, heatUrl, view, opacity, colorKey]);

  return <canvas ref={canvas} data-testid="overlay-canvas" data-view={view} className="picture" />;
}
