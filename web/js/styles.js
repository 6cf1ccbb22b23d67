// The demo's styles, inside its shadow root so that a host page's CSS neither breaks it nor
// is broken by it. Light and dark schemes; one column on a phone.
export const styles = `
:host { display: block; color: var(--ddpm-fg, #1d1f23); background: var(--ddpm-bg, #fff);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --accent: #1565c0; --curve: #1565c0; --marker: #d84315; --line: #c9ced6; --muted: #5b616b;
  --error-bg: #fdecea; --error-fg: #8a1c11; }
@media (prefers-color-scheme: dark) {
  :host { color: var(--ddpm-fg, #e6e8eb); background: var(--ddpm-bg, #16181c);
    --accent: #7cb3ff; --curve: #7cb3ff; --marker: #ff8a65; --line: #3a3f47; --muted: #a3a9b3;
    --error-bg: #3b1a17; --error-fg: #ffb4a9; }
}
* { box-sizing: border-box; }
h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
section { border: 1px solid var(--line); border-radius: 8px; padding: .8rem; min-width: 0; }
.layout { display: grid; gap: .8rem; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); }
.side { display: grid; gap: .8rem; align-content: start; }
@media (max-width: 760px) { .layout { grid-template-columns: minmax(0, 1fr); } }
form { display: grid; gap: .5rem .8rem;
  grid-template-columns: repeat(auto-fill, minmax(130px, 1fr));
  align-items: end; }
label { display: grid; gap: .15rem; font-size: .85rem; color: var(--muted); }
input, select, button { font: inherit; color: inherit; min-height: 2.2rem; border-radius: 6px;
  border: 1px solid var(--line); background: transparent; padding: .2rem .45rem; width: 100%; }
select option { color: #1d1f23; background: #fff; }
input[aria-invalid="true"] { border-color: var(--marker); outline: 1px solid var(--marker); }
input:disabled, select:disabled { opacity: .5; }
button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent);
  font-weight: 600; }
@media (prefers-color-scheme: dark) { button { color: #10141a; } }
button.secondary { background: transparent; color: inherit; border-color: var(--line); }
button:disabled { opacity: .45; cursor: default; }
:focus-visible { outline: 3px solid var(--marker); outline-offset: 2px; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: .6rem 0; align-items: center; }
.actions button { width: auto; padding: .2rem 1rem; }
.check { display: flex; gap: .35rem; align-items: center; color: inherit; font-size: .9rem; }
.check input { width: auto; min-height: 0; }
.field-error { color: var(--error-fg); font-size: .8rem; min-height: 0; }
.errors:empty, .error:empty { display: none; }
.errors, .error { background: var(--error-bg); color: var(--error-fg); border-radius: 6px;
  padding: .45rem .6rem; margin: .4rem 0; }
.errors p { margin: 0; }
.progress { display: flex; gap: .6rem; align-items: center; font-variant-numeric: tabular-nums; }
progress { flex: 1; height: .8rem; accent-color: var(--accent); }
.status { color: var(--muted); font-size: .9rem; min-height: 1.3em; margin: .3rem 0; }
canvas.grid { display: block; width: 100%; max-width: 560px; margin: .4rem auto 0;
  image-rendering: pixelated; background: #303030; border-radius: 4px; aspect-ratio: 1; }
canvas.plot { display: block; width: 100%; height: 130px; }
.forward-images { display: grid; grid-template-columns: repeat(3, 1fr); gap: .5rem;
  text-align: center; font-size: .8rem; color: var(--muted); }
.forward-images canvas { width: 100%; aspect-ratio: 1; image-rendering: pixelated;
  background: #000; border-radius: 4px; }
.formula { font-size: .85rem; font-variant-numeric: tabular-nums; margin: .4rem 0; }
.new-noise { width: auto; padding: .2rem 1rem; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: .5rem; margin-bottom: .4rem; }
.model-info { font-size: .8rem; color: var(--muted); margin: .3rem 0 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
`;
