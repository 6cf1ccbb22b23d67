// Line plots of schedule tables on a canvas: axes with a few ticks, one curve, an optional
// marker at the timestep the sampler is at.

function niceTicks(lo, hi, count) {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(v);
  return ticks;
}

function formatTick(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 || a < 0.01 ? v.toExponential(0) : String(+v.toPrecision(3));
}

// Plots y[t] for t = from..y.length-1 on `canvas` (its CSS size sets the resolution), with
// dots at the timesteps in `points` (a sampler's steps) and a line at `marker`.
export function plotTable(canvas, { y, from = 1, title, marker = null, points = null }) {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 300;
  const cssH = canvas.clientHeight || 160;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  const style = getComputedStyle(canvas);
  const fg = style.color || '#222';

  // data range and the plot box
  let lo = Infinity, hi = -Infinity;
  for (let t = from; t < y.length; t++) {
    if (Number.isFinite(y[t])) { lo = Math.min(lo, y[t]); hi = Math.max(hi, y[t]); }
  }
  if (!(lo <= hi)) return;
  const T = y.length - 1;
  const box = { l: 46, r: cssW - 16, t: 20, b: cssH - 22 };
  const sx = (t) => box.l + ((t - from) / Math.max(1, T - from)) * (box.r - box.l);
  const sy = (v) => box.b - ((v - lo) / (hi - lo || 1)) * (box.b - box.t);

  // axes, ticks and title
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = fg;
  ctx.strokeStyle = fg;
  ctx.globalAlpha = 0.35;
  ctx.strokeRect(box.l, box.t, box.r - box.l, box.b - box.t);
  ctx.globalAlpha = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of niceTicks(lo, hi, 4)) ctx.fillText(formatTick(v), box.l - 4, sy(v));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of niceTicks(from, T, 4)) ctx.fillText(String(t), sx(t), box.b + 4);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  ctx.fillText(title, box.l, box.t - 4);

  // the curve
  ctx.strokeStyle = style.getPropertyValue('--curve') || '#1565c0';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let t = from; t <= T; t++) {
    if (t === from) ctx.moveTo(sx(t), sy(y[t]));
    else ctx.lineTo(sx(t), sy(y[t]));
  }
  ctx.stroke();

  // the sampler's timesteps on the curve
  if (points) {
    ctx.fillStyle = style.getPropertyValue('--curve') || '#1565c0';
    for (const t of points) {
      if (t < from || t > T) continue;
      ctx.beginPath();
      ctx.arc(sx(t), sy(y[t]), 2.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  // where the sampler (or the slider) is
  if (marker !== null && marker >= from && marker <= T) {
    ctx.strokeStyle = style.getPropertyValue('--marker') || '#d84315';
    ctx.beginPath();
    ctx.moveTo(sx(marker), box.t);
    ctx.lineTo(sx(marker), box.b);
    ctx.stroke();
  }
}
