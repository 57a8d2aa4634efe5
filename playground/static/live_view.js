// The 2D page's live view: status, the network's answer over the plane, loss/accuracy curves,
// gradient flow and the network diagram, painted on canvases.
// The server sends *messages* (live_frame.py `live_message`), each carrying several snapshots of
// the run: its step, figures, gradient sizes and the network's weights. This script computes the
// answer over the plane and each hidden neuron's thumbnail from the weights itself (`forward`, what
// the engine's decision_grid and hidden_grids do), and plays the snapshots back a steady delay
// behind the server, spread in time as they were taken (`playhead`). A large network comes
// painted already (`levels` mode: the answer as 8-bit levels per snapshot).
// Streamlit calls the default export again for every new message, and sometimes with the same
// one, with the same parentElement: what a view keeps between messages (words, points, curves,
// snapshots waiting to be painted) lives in its state, keyed by that element, and a message seen
// already changes nothing. The one listener is the plane's click (own data, `takeClicks`), set once;
// canvases and buffers are reused.
// Every word drawn comes from the messages (`T`, see live_frame.py `live_texts`), every colour too
// (`C`, from the palette: playground/palette.py, the Okabe-Ito colours every figure of the
// playground uses), and every size is multiplied by the scale `S` (larger in presenter mode);
// only full messages carry them, the others reuse the last ones. Text, greys and the plane's
// "undecided" colour follow the page's theme, light or dark (`themeOf`), read at every paint;
// Streamlit calls the default export again when the theme changes, and a paused view repaints.

const FONT = "system-ui, 'Noto Sans', 'NanumGothic', sans-serif";
// Curve points kept per series; past it every other one goes (the newest stays), so a long run's
// charts keep their shape and the memory stays bounded.
const MAX_CURVE_POINTS = 1000;
// Multiply-adds for one picture of the plane (about 1 ns each: ~6 ms); a wider network's plane is
// computed on a coarser grid to stay within it, so a frame still paints in under 15 ms. The
// picture is scaled up smoothed anyway, and the boundary line is interpolated between grid points.
const PLANE_BUDGET = 6e6;
const MIN_PLANE_RES = 30;
// Playback (all in seconds): each snapshot is painted `delay` after the server took it, the delay
// being the longest wait for a message seen lately (about one message interval) plus MARGIN, and
// at most one interval plus MAX_EXTRA: a late message then costs a pause and a jump, never a
// growing lag.
const MARGIN = 0.08;
const MAX_EXTRA = 0.35;
const TIMING_WINDOW = 10;  // messages the delay and the clock offset are learnt from

let S = 1;  // the drawing scale of the view being painted: fonts, lines, markers and margins
let C = null;  // its colours (see usePalette)
let paletteKey = "";

// "#rrggbb" -> [r, g, b], for colours mixed here (colour tables, translucent edges).
function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
const css = (colour) => `rgb(${colour})`;
// `base` moved `share` of the way towards `colour` (both [r, g, b]).
const mix = (base, colour, share) => base.map((b, c) => Math.round(b + (colour[c] - b) * share));

// The page's theme: Streamlit (components v2) sets its colours as CSS variables on the
// component's host, inherited by the view's elements (--st-text-color, --st-background-color:
// the theme's, light, dark or custom, never hard-coded here). As "text|background" (each
// colour as the browser normalises it, "#rrggbb" or "rgba(...)"), or "" outside Streamlit.
// (A plain canvas where OffscreenCanvas is missing, as on Safari before 16.4: the view must still load.)
const SWATCH = (typeof OffscreenCanvas === "function" ? new OffscreenCanvas(1, 1)
  : document.createElement("canvas")).getContext("2d");
function normalised(colour) {
  SWATCH.fillStyle = "#000";
  SWATCH.fillStyle = colour;  // an invalid colour leaves black
  return SWATCH.fillStyle;
}
function themeOf(element) {
  const style = getComputedStyle(element);
  const ink = style.getPropertyValue("--st-text-color").trim(), paper = style.getPropertyValue("--st-background-color").trim();
  return ink && paper ? `${normalised(ink)}|${normalised(paper)}` : "";
}
// "#rrggbb" or "rgb(a)(r, g, b, ...)" -> [r, g, b] (a translucent theme colour: its colour, opaque).
function parsed(colour) {
  return colour.startsWith("#") ? rgb(colour) : colour.match(/[\d.]+/g).slice(0, 3).map(Number);
}

// A colour's relative luminance (WCAG 2), 0 for black to 1 for white: a theme is dark when its
// background is darker than its text.
function luminance(colour) {
  const [r, g, b] = colour.map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

// 256-entry colour tables from the paper (white, or a dark theme's background) towards a
// colour: level 0 the paper, level 255 `strength` of the way to the colour.
function ramp(paper, colour, strength) {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(mix(paper, colour, (i / 255) * strength), i * 3);
  return lut;
}
// Diverging: level 0 -> orange, 127.5 -> the paper, 255 -> blue. P(class 1) for two classes, and
// a regression's value (its range centred on 0) for the plane (tinted) and the points (full).
function diverging(paper, low, high, strength) {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const p = i / 255, side = p < 0.5 ? low : high, t = Math.min(1, Math.abs(p - 0.5) * 2) * strength;
    lut.set(mix(paper, side, t), i * 3);
  }
  return lut;
}

// The palette (hex strings; `tint`: how far the plane's colour goes from the paper where the
// network is sure, `tint_dark` on a dark paper) in the page's theme (`themeOf`), with what is
// mixed from them, rebuilt only when either changes. With a theme, text is the theme's text
// colour, the paper its background and each grey the text laid over the paper at its share
// (palette.py THEME_SHARES); without one, the palette's own greys on white.
function usePalette(palette, theme) {
  const key = JSON.stringify(palette) + theme;
  if (key === paletteKey) return;
  const orange = rgb(palette.orange), blue = rgb(palette.blue), classes = palette.classes.map(rgb);
  let ink = rgb(palette.ink), paper = rgb(palette.paper || "#ffffff"), greys = {};
  if (theme && palette.shares) {
    [ink, paper] = theme.split("|").map(parsed);
    greys = Object.fromEntries(Object.entries(palette.shares).map(([name, share]) => [name, css(mix(paper, ink, share))]));
    greys.ink = greys.dark = css(ink);
  }
  const black = (colour) => (theme && colour === palette.black ? css(ink) : colour);  // black on a dark page is the text
  const tint = luminance(paper) < luminance(ink) ? palette.tint_dark ?? palette.tint : palette.tint;
  C = {
    ...palette, ...greys, paper: css(paper), series: palette.series.map(black),
    orangeRGB: orange, blueRGB: blue, classRGB: classes,
    lut: diverging(paper, orange, blue, tint), pointLut: diverging(paper, orange, blue, 1),
    classLuts: classes.map((colour) => ramp(paper, colour, tint)),  // by the margin over the runner-up
  };
  paletteKey = key;
}

// A message is: uint32 header length, UTF-8 JSON header, then raw arrays listed in
// header.blobs as name -> [offset after the header, byte length, dtype] (see live_frame.py).
function unpack(bytes) {
  const length = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  const blobs = {};
  for (const [name, [offset, size, dtype]] of Object.entries(header.blobs)) {
    const copy = bytes.slice(4 + length + offset, 4 + length + offset + size); // aligned copy
    blobs[name] = dtype === "f4" ? new Float32Array(copy.buffer) : copy;
  }
  return [header, blobs];
}

// ---------------------------------------------------------------------------------------------
// The network, run here on a snapshot's weights: what engine/core/probes.py does on the server.

// The input features of a point (x1, x2), by the engine's names (engine/core/datasets.py FEATURES).
const FEATURES = {
  x1: (x1, x2) => x1,
  x2: (x1, x2) => x2,
  x1sq: (x1, x2) => x1 * x1,
  x2sq: (x1, x2) => x2 * x2,
  x1x2: (x1, x2) => x1 * x2,
  sin_x1: (x1, x2) => Math.sin(x1),
  sin_x2: (x1, x2) => Math.sin(x2),
};

// An odd function (tanh, erf) from a table of its values and slopes every 1/64 on [0, end), by
// cubic Hermite interpolation: error about h^4 / 384 times the size of its 4th derivative, below
// 1e-9 for both, in a few multiply-adds (Math.tanh and Math.exp cost several times more, and a
// plane needs 100,000s). Beyond `end` the function is its value there (tanh(12), erf(6): 1 to 1e-10).
const TABLE_STEPS = 64;
function oddFunction(f, slope, end) {
  const table = new Float64Array(2 * (end * TABLE_STEPS + 1)), top = f(end);
  for (let k = 0; k <= end * TABLE_STEPS; k++) {
    table[2 * k] = f(k / TABLE_STEPS);
    table[2 * k + 1] = slope(k / TABLE_STEPS) / TABLE_STEPS;
  }
  return (x) => {
    const a = x < 0 ? -x : x;
    if (!(a < end)) return a === a ? (x < 0 ? -top : top) : NaN;
    const u = a * TABLE_STEPS, k = u | 0, t = u - k, s = 1 - t, i = 2 * k;
    const y = (1 + 2 * t) * s * s * table[i] + t * s * s * table[i + 1]
            + t * t * (3 - 2 * t) * table[i + 2] - t * t * s * table[i + 3];
    return x < 0 ? -y : y;
  };
}

// erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)): all terms positive, so
// the sum loses no digits; used to build erf's table.
function erfSeries(x) {
  let term = x, sum = x;
  for (let n = 0; term > 1e-17 * sum; n++) { term *= (2 * x * x) / (2 * n + 3); sum += term; }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}
export const erf = oddFunction(erfSeries, (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x), 6);
const tanh = oddFunction(Math.tanh, (x) => 1 - Math.tanh(x) ** 2, 12);

// The hidden layers' activations, by the engine's names (engine/core/models.py ACTIVATIONS),
// each applied in place to values a to b of a layer's outputs: a loop of its own per activation, so each
// compiles to tight code (one shared loop calling a function per value is several times slower).
const ACTIVATIONS = {
  sigmoid: (v, a, b) => { for (let k = a; k < b; k++) v[k] = 0.5 + 0.5 * tanh(0.5 * v[k]); },
  tanh: (v, a, b) => { for (let k = a; k < b; k++) v[k] = tanh(v[k]); },
  relu: (v, a, b) => { for (let k = a; k < b; k++) v[k] = Math.max(v[k], 0); },
  leaky_relu: (v, a, b) => { for (let k = a; k < b; k++) v[k] = v[k] > 0 ? v[k] : 0.01 * v[k]; },
  elu: (v, a, b) => { for (let k = a; k < b; k++) v[k] = v[k] > 0 ? v[k] : Math.expm1(v[k]); },  // alpha 1
  // torch's exact GELU, not its tanh approximation
  gelu: (v, a, b) => { for (let k = a; k < b; k++) v[k] = 0.5 * v[k] * (1 + erf(v[k] * Math.SQRT1_2)); },
  linear: () => {},
};

// Typed arrays reused from frame to frame, by name: a frame allocates nothing new.
const BUFFERS = new Map();
function buffer(name, Type, length) {
  let array = BUFFERS.get(name);
  if (!array || array.length !== length || !(array instanceof Type)) {
    array = new Type(length);
    BUFFERS.set(name, array);
  }
  return array;
}

// The network's inputs over a res x res grid covering `bounds`, as decision_grid builds them:
// np.linspace axes (float64, then float32), points row-major over x2 then x1 (row 0: the lowest
// x2), then each named feature in float32. One row of res*res values per feature. Kept for the
// last few planes, since the plane only changes with the data.
const INPUTS = new Map();
function gridInputs(bounds, res, names) {
  const key = JSON.stringify([bounds, res, names]);
  let x = INPUTS.get(key);
  if (x) return x;
  const axis = ([low, high]) => Float64Array.from({ length: res }, (_, i) =>
    Math.fround(i === res - 1 && res > 1 ? high : i * ((high - low) / (res - 1)) + low));
  const x1 = axis(bounds[0]), x2 = axis(bounds[1]), n = res * res;
  x = new Float32Array(names.length * n);
  names.forEach((name, f) => {
    const feature = FEATURES[name];
    for (let i = 0; i < res; i++) for (let j = 0; j < res; j++) x[f * n + i * res + j] = feature(x1[j], x2[i]);
  });
  if (INPUTS.size >= 4) INPUTS.delete(INPUTS.keys().next().value);
  INPUTS.set(key, x);
  return x;
}

// Each weighted layer's shape and where its weight matrix (out x in, row-major) and its bias
// start in a snapshot's flat weights (engine/core/probes.py flat_parameters).
function layout(layers) {
  let at = 0;
  return layers.map(([outputs, inputs]) => {
    const layer = { outputs, inputs, weights: at, bias: at + outputs * inputs };
    at += outputs * inputs + outputs;
    return layer;
  });
}

// The network on `n` points (`x`: one row of n values per input feature): each layer's outputs,
// one row of n values per neuron, after the activation for hidden layers, raw for the last. One
// pass per weighted layer, in float32 like torch, in buffers named after `slot`.
function forward(m, weights, x, n, slot) {
  const act = ACTIVATIONS[m.network.activation], layers = m.layout, outputs = [];
  let input = x;
  for (let l = 0; l < layers.length; l++) {
    const { outputs: nOut, inputs: nIn, weights: at, bias } = layers[l];
    const out = buffer(`${slot}.${l}`, Float32Array, nOut * n);
    for (let o = 0; o < nOut; o++) {
      const row = o * n, w = at + o * nIn;
      out.fill(weights[bias + o], row, row + n);
      let i = 0;
      for (; i + 4 <= nIn; i += 4) {
        addScaled4(out, row, input, i * n, n, weights[w + i], weights[w + i + 1], weights[w + i + 2], weights[w + i + 3], n);
      }
      if (i + 2 <= nIn) { addScaled2(out, row, input, i * n, n, weights[w + i], weights[w + i + 1], n); i += 2; }
      if (i < nIn) addScaled(out, row, input, i * n, weights[w + i], n);
    }
    if (l < layers.length - 1) act(out, 0, out.length);
    outputs.push(out);
    input = out;
  }
  return outputs;
}

// out[to + p] += w * x[from + p] for p < count: a neuron's row gets one input's row, weighted.
// Kept apart in small functions of their own, so the engine compiles them tight; taking four
// inputs per pass (rows `stride` apart) reads and writes the neuron's row a quarter as often,
// about three times faster than one at a time (two: for the plane's two inputs x1, x2).
function addScaled(out, to, x, from, w, count) {
  for (let p = 0; p < count; p++) out[to + p] += w * x[from + p];
}
function addScaled2(out, to, x, from, stride, w0, w1, count) {
  const a = from, b = from + stride;
  for (let p = 0; p < count; p++) out[to + p] += w0 * x[a + p] + w1 * x[b + p];
}
function addScaled4(out, to, x, from, stride, w0, w1, w2, w3, count) {
  const a = from, b = from + stride, c = from + 2 * stride, d = from + 3 * stride;
  for (let p = 0; p < count; p++) out[to + p] += w0 * x[a + p] + w1 * x[b + p] + w2 * x[c + p] + w3 * x[d + p];
}

// The answer over the plane from the last layer's raw outputs, by task, laid out as
// decision_grid's (res*res points, row-major): P(class 1) for two classes, the class
// probabilities (res*res x classes, softmax) for more, the predicted value for a regression.
function answer(m, logits, n, slot) {
  if (m.task === "multiclass") {
    const classes = m.network.outputs, p = buffer(`${slot}.answer`, Float32Array, n * classes);
    for (let q = 0; q < n; q++) {
      let top = -Infinity, sum = 0;
      for (let c = 0; c < classes; c++) top = Math.max(top, logits[c * n + q]);
      for (let c = 0; c < classes; c++) sum += (p[q * classes + c] = Math.exp(logits[c * n + q] - top));
      for (let c = 0; c < classes; c++) p[q * classes + c] /= sum;
    }
    return p;
  }
  const v = buffer(`${slot}.answer`, Float32Array, n);
  if (m.task === "regression") v.set(logits.subarray(0, n));
  else for (let q = 0; q < n; q++) v[q] = 1 / (1 + Math.exp(-logits[q]));
  return v;
}

// A value in [0, 1] as an 8-bit level, as live_frame.py `_levels` (NaN, from a diverged
// network, is 0.5: undecided).
const level = (v) => (v === v ? Math.round(Math.min(1, Math.max(0, v)) * 255) : 128);

// The answer as the 8-bit levels the plane is painted from (live_frame.py `_answer`): `prob`
// for two classes; `cls` (the most likely class) and `margin` (its lead over the runner-up; a
// diverged network's is a tie) for more; `value` on the plane's `range` for a regression.
function answerLevels(m, values, n, slot) {
  if (m.task === "multiclass") {
    const classes = m.network.outputs;
    const cls = buffer(`${slot}.cls`, Uint8Array, n), margin = buffer(`${slot}.margin`, Uint8Array, n);
    for (let q = 0; q < n; q++) {
      let best = 0, first = values[q * classes], second = -Infinity;
      for (let c = 1; c < classes; c++) {
        const v = values[q * classes + c];
        if (v > first) { second = first; first = v; best = c; } else if (v > second) second = v;
      }
      cls[q] = first === first ? best : 0;
      margin[q] = first === first ? level(first - second) : 0;
    }
    return { cls, margin };
  }
  const levels = buffer(`${slot}.levels`, Uint8Array, n);
  if (m.task === "regression") {
    const [low, high] = m.plane.range;
    for (let q = 0; q < n; q++) levels[q] = level((values[q] - low) / (high - low));
    return { value: levels };
  }
  for (let q = 0; q < n; q++) levels[q] = level(values[q]);
  return { prob: levels };
}

// Each shown hidden neuron's activation over a thumb_res grid, min-max scaled per neuron (0.5
// when flat), as 8-bit levels, one tile after another (live_frame.py `_neuron_thumbnails`);
// null when the diagram shows too many neurons to give each a picture.
function neuronThumbnails(m, weights, slot) {
  const net = m.network, hidden = net.shown.slice(1, -1), count = hidden.reduce((a, b) => a + b, 0);
  if (count === 0 || !net.thumbs) return null;  // the server says whether the diagram shows them
  const res = net.thumb_res, n = res * res;
  const outputs = forward(m, weights, gridInputs(m.plane.bounds, res, net.inputs), n, `${slot}.thumb`);
  const tiles = buffer(`${slot}.tiles`, Uint8Array, count * n);
  let k = 0;
  hidden.forEach((shown, l) => {
    for (let neuron = 0; neuron < shown; neuron++, k++) {
      const values = outputs[l].subarray(neuron * n, (neuron + 1) * n);
      let low = Infinity, high = -Infinity;
      for (const v of values) { low = Math.min(low, v); high = Math.max(high, v); }  // NaN if any is
      const span = high - low;
      for (let q = 0; q < n; q++) tiles[k * n + q] = span > 1e-6 ? level((values[q] - low) / span) : 128;
    }
  });
  return tiles;
}

// The shown part of each weight matrix (shown outputs x shown inputs): the diagram's edges.
function shownEdges(m, weights) {
  const sizes = m.network.shown;
  return m.layout.map((layer, l) => {
    const nIn = sizes[l], nOut = sizes[l + 1], edges = new Float32Array(nOut * nIn);
    for (let o = 0; o < nOut; o++) {
      for (let i = 0; i < nIn; i++) edges[o * nIn + i] = weights[layer.weights + o * layer.inputs + i];
    }
    return edges;
  });
}

// A message's header and arrays, with what is worked out once per message (the layers' layout,
// the weights per snapshot).
function messageOf(header, blobs) {
  const m = { ...header, blobs, layout: layout(header.network.layers) };
  m.perSnapshot = blobs.weights ? blobs.weights.length / header.snapshots.length : 0;
  return m;
}

function snapshotWeights(m, index) {
  if (m.network.mode !== "weights") throw new Error("a message in levels mode carries no weights");
  return m.blobs.weights.subarray(index * m.perSnapshot, (index + 1) * m.perSnapshot);
}

// The plane's grid for painting: the message's resolution, or a coarser one for a wide network.
function paintResolution(m) {
  const perPoint = m.layout.reduce((sum, layer) => sum + layer.outputs * layer.inputs, 0);
  const res = m.plane.res;
  if (res * res * perPoint <= PLANE_BUDGET) return res;
  return Math.min(res, Math.max(MIN_PLANE_RES, Math.floor(Math.sqrt(PLANE_BUDGET / perPoint))));
}

// What snapshot `index` of message `m` looks like: the answer as 8-bit levels over a res x res
// grid, each shown hidden neuron's thumbnail (or null: plain boxes) and the diagram's edge
// weights (null in levels mode: the server sends no weights).
function look(m, index) {
  const net = m.network;
  if (net.mode !== "weights") {
    const res = m.plane.res, n = res * res, levels = {};
    for (const name of ["prob", "value", "cls", "margin"]) {
      if (m.blobs[name]) levels[name] = m.blobs[name].subarray(index * n, (index + 1) * n);
    }
    const thumbs = m.blobs.thumbs, per = thumbs ? thumbs.length / m.snapshots.length : 0;
    return { res, levels, thumbs: per ? thumbs.subarray(index * per, (index + 1) * per) : null, edges: null };
  }
  const weights = snapshotWeights(m, index), res = paintResolution(m), n = res * res;
  const outputs = forward(m, weights, gridInputs(m.plane.bounds, res, net.inputs), n, "plane");
  return {
    res,
    levels: answerLevels(m, answer(m, outputs[outputs.length - 1], n, "plane"), n, "plane"),
    thumbs: neuronThumbnails(m, weights, "plane"),
    edges: shownEdges(m, weights),
  };
}

// For tests (tests/browser/test_browser_surface.py), on a message's bytes and a snapshot's index:
// the answer over the plane at the plane's full resolution, as the engine's decision_grid gives
// it, flattened (res*res values, or res*res*classes probabilities for more than two classes);
// the thumbnails' levels (empty when the diagram shows plain boxes); the plane's 8-bit levels.
export function surface(payload, index = 0) {
  const m = messageOf(...unpack(payload)), res = m.plane.res, n = res * res;
  const outputs = forward(m, snapshotWeights(m, index), gridInputs(m.plane.bounds, res, m.network.inputs), n, "test");
  return answer(m, outputs[outputs.length - 1], n, "test").slice();
}
export function thumbnails(payload, index = 0) {
  const m = messageOf(...unpack(payload));
  const tiles = neuronThumbnails(m, snapshotWeights(m, index), "test");
  return tiles ? tiles.slice() : new Uint8Array(0);
}
export function planeLevels(payload, index = 0) {
  const m = messageOf(...unpack(payload)), n = m.plane.res * m.plane.res;
  const levels = answerLevels(m, surface(payload, index), n, "test");
  return Object.fromEntries(Object.entries(levels).map(([name, array]) => [name, array.slice()]));
}

// ---------------------------------------------------------------------------------------------
// Drawing.

// Size a canvas's backing store to its CSS box at the device's pixel ratio; returns a 2D
// context drawing in CSS pixels, and the CSS width and height.
function fit(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(10, canvas.clientWidth), h = Math.max(10, canvas.clientHeight);
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return [ctx, w, h];
}

// Whole numbers with thousands separators (1,500), as toLocaleString("en-US") writes them; one
// formatter for every label, since building one per call (what toLocaleString does) is slow.
const GROUPED = new Intl.NumberFormat("en-US");

function fmt(v) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return GROUPED.format(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(1);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

// A text template from the messages with its {placeholders} filled in (as Python's str.format).
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));

// Round tick values for an axis from lo to hi, and a formatter with the decimals they need.
function niceTicks(lo, hi, count) {
  const span = hi - lo || 1, raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= count) || 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  ticks.label = (t) => (decimals > 4 ? t.toExponential(1) : t.toFixed(decimals));
  return ticks;
}

// Text at `size` CSS pixels before scaling; squeezed (never cut) to `max` pixels wide if given.
function text(ctx, s, x, y, { size = 13, color = C.ink, align = "left", base = "alphabetic", weight = "", max } = {}) {
  ctx.font = `${weight} ${size * S}px ${FONT}`;
  ctx.fillStyle = color;
  ctx.textAlign = align;
  ctx.textBaseline = base;
  if (max !== undefined) ctx.fillText(s, x, y, Math.max(1, max));
  else ctx.fillText(s, x, y);
}

// An axis title along the left edge, reading upwards, centred on the plot box's height.
function yTitle(ctx, s, x, top, bottom) {
  ctx.save(); ctx.translate(x, (top + bottom) / 2); ctx.rotate(-Math.PI / 2);
  text(ctx, s, 0, 0, { size: 12, align: "center", color: C.muted, max: bottom - top + 24 * S }); ctx.restore();
}

function chartBox(w, h) {
  return { l: 58 * S, r: w - 12 * S, t: 30 * S, b: h - 38 * S };
}

// A line chart with labelled axes. series: [{y: [...], color, label, dash}], shared xs; `stop`
// (optional): an early stop to mark (see stopMarks).
function lineChart(canvas, T, { title, xs, series, xLabel, yLabel, log = false, yFixed = null, stop = null }) {
  const [ctx, w, h] = fit(canvas);
  const box = chartBox(w, h);
  text(ctx, title, box.l, 18 * S, { size: 15, weight: "600", max: box.r - box.l });
  const titleEnd = box.l + ctx.measureText(title).width + 16 * S;
  // Legend entries right-aligned on the title's row, wrapping to rows below it if they collide.
  ctx.font = `${12 * S}px ${FONT}`;
  const entries = series.filter((s) => s.label).map((s) => ({ s, width: ctx.measureText(s.label).width + 30 * S }));
  const rows = [[]];
  let room = box.r - titleEnd;
  for (const entry of [...entries].reverse()) {
    if (entry.width > room && rows[rows.length - 1].length) { rows.push([]); room = box.r - box.l; }
    rows[rows.length - 1].push(entry);
    room -= entry.width;
  }
  box.t += 16 * S * (rows.length - 1);
  const ys = series.flatMap((s) => s.y).filter((v) => v !== null && isFinite(v) && (!log || v > 0));
  if (!xs || xs.length === 0 || ys.length === 0) {
    text(ctx, T.start, (box.l + box.r) / 2, (box.t + box.b) / 2, { size: 14, color: C.axis, align: "center", max: box.r - box.l });
    return;
  }
  const tf = log ? (v) => Math.log10(v) : (v) => v;
  let [ylo, yhi] = yFixed || [Math.min(...ys), Math.max(...ys)];
  ylo = tf(ylo); yhi = tf(yhi);
  if (yhi - ylo < 1e-9) { ylo -= log ? 0.5 : 0.05; yhi += log ? 0.5 : 0.05; }
  const pad = yFixed ? 0 : (yhi - ylo) * 0.06;
  ylo -= pad; yhi += pad;
  const xlo = xs[0], xhi = xs[xs.length - 1] > xlo ? xs[xs.length - 1] : xlo + 1;
  const X = (x) => box.l + ((x - xlo) / (xhi - xlo)) * (box.r - box.l);
  const Y = (v) => box.b - ((tf(v) - ylo) / (yhi - ylo)) * (box.b - box.t);

  ctx.lineWidth = S;
  const linear = niceTicks(ylo, yhi, 5);
  const yticks = log ? niceTicks(Math.floor(ylo), Math.ceil(yhi), 6).filter((t) => Number.isInteger(t) && t >= ylo && t <= yhi).map((t) => Math.pow(10, t))
                     : linear;
  for (const t of yticks) {
    const y = Y(t);
    ctx.strokeStyle = C.grid; ctx.beginPath(); ctx.moveTo(box.l, y); ctx.lineTo(box.r, y); ctx.stroke();
    text(ctx, log ? `1e${Math.round(Math.log10(t))}` : linear.label(t), box.l - 6 * S, y,
         { size: 12, align: "right", base: "middle", color: C.muted, max: box.l - 26 * S });
  }
  ctx.font = `${12 * S}px ${FONT}`;
  for (const t of niceTicks(xlo, xhi, Math.min(6, Math.max(2, Math.floor((box.r - box.l) / (60 * S)))))) {
    const label = fmt(t), half = ctx.measureText(label).width / 2;
    if (X(t) + half <= w) text(ctx, label, X(t), box.b + 15 * S, { size: 12, align: "center", color: C.muted });
    else text(ctx, label, w, box.b + 15 * S, { size: 12, align: "right", color: C.muted });  // the last one: kept whole
  }
  ctx.strokeStyle = C.axis;
  ctx.beginPath(); ctx.moveTo(box.l, box.t); ctx.lineTo(box.l, box.b); ctx.lineTo(box.r, box.b); ctx.stroke();
  text(ctx, xLabel, (box.l + box.r) / 2, h - 6 * S, { size: 12, align: "center", color: C.muted, max: box.r - box.l });
  yTitle(ctx, yLabel, 13 * S, box.t, box.b);

  ctx.save();
  ctx.beginPath(); ctx.rect(box.l, box.t - 2 * S, box.r - box.l, box.b - box.t + 4 * S); ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.lineWidth = (s.width || 2.5) * S; ctx.setLineDash((s.dash || []).map((d) => d * S));
    ctx.beginPath();
    const ok = (v) => v !== null && isFinite(v) && (!log || v > 0);
    s.y.forEach((v, i) => {
      if (!ok(v)) return;
      const x = X(xs[i]), y = Y(v);
      ok(s.y[i - 1]) ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      if (!ok(s.y[i - 1]) && !ok(s.y[i + 1])) ctx.arc(x, y, 1.5 * S, 0, 2 * Math.PI);  // a lone point: a dot
    });
    ctx.stroke();
  }
  ctx.restore();
  ctx.setLineDash([]);
  if (stop) stopMarks(ctx, box, stop, { xs, series, X, Y, ok: (v) => v !== null && isFinite(v) && (!log || v > 0) });
  rows.forEach((row, r) => {
    let lx = box.r;
    for (const { s, width } of row) {
      lx -= width;
      const y = (14 + 16 * r) * S;
      ctx.strokeStyle = s.color; ctx.lineWidth = 3 * S; ctx.setLineDash((s.dash || []).map((d) => d * S));
      ctx.beginPath(); ctx.moveTo(lx, y); ctx.lineTo(lx + 20 * S, y); ctx.stroke(); ctx.setLineDash([]);
      text(ctx, s.label, lx + 24 * S, y + 4 * S, { size: 12 });
    }
  });
}

// An early stop on a line chart: a dashed line at the step where the run stopped, labelled
// (`stop.label`), and, if `stop.ring` names a series (the test loss), a ring on it at the step
// where it was lowest (`stop.best`: the weights kept), at the nearest step the curve still has.
// The label sits beside the line, on its roomier side, at the top or bottom, away from the
// curves' last values.
function stopMarks(ctx, box, stop, { xs, series, X, Y, ok }) {
  const x = X(stop.step);
  if (!(x >= box.l - 1 && x <= box.r + 1)) return;
  ctx.strokeStyle = C.muted; ctx.lineWidth = 1.5 * S; ctx.setLineDash([5 * S, 4 * S]);
  ctx.beginPath(); ctx.moveTo(x, box.t); ctx.lineTo(x, box.b); ctx.stroke(); ctx.setLineDash([]);
  const ring = stop.ring === undefined ? null : series[stop.ring];
  if (ring && xs.length && Number.isFinite(stop.best)) {
    let i = 0;
    xs.forEach((step, k) => { if (Math.abs(step - stop.best) < Math.abs(xs[i] - stop.best)) i = k; });
    if (ok(ring.y[i])) {
      ctx.strokeStyle = C.ink; ctx.lineWidth = 2 * S;
      ctx.beginPath(); ctx.arc(X(xs[i]), Y(ring.y[i]), 7 * S, 0, 2 * Math.PI); ctx.stroke();
    }
  }
  const last = series.map((s) => s.y[s.y.length - 1]).filter(ok);
  const high = last.length && last.reduce((sum, v) => sum + Y(v), 0) / last.length < (box.t + box.b) / 2;
  const left = x - box.l > box.r - x, pad = 4 * S;
  ctx.font = `${12 * S}px ${FONT}`;
  const width = Math.min(ctx.measureText(stop.label).width, (left ? x - box.l : box.r - x) - 2 * pad);
  if (width <= 0) return;
  const tx = left ? x - pad - width : x + pad, ty = high ? box.b - 8 * S : box.t + 14 * S;
  ctx.fillStyle = C.paper; ctx.globalAlpha = 0.85;  // keeps the label readable over a curve
  ctx.fillRect(tx - 2 * S, ty - 11 * S, width + 4 * S, 15 * S); ctx.globalAlpha = 1;
  text(ctx, stop.label, tx, ty, { size: 12, color: C.muted, max: width });
}

function barChart(canvas, T, { title, values, labels, yLabel }) {
  const [ctx, w, h] = fit(canvas);
  const box = chartBox(w, h);
  text(ctx, title, box.l, 18 * S, { size: 15, weight: "600", max: box.r - box.l });
  const good = values.filter((v) => v > 0 && isFinite(v));
  if (good.length === 0) {
    text(ctx, T.no_gradients, (box.l + box.r) / 2, (box.t + box.b) / 2, { size: 14, color: C.axis, align: "center", max: box.r - box.l });
    return;
  }
  let lo = Math.floor(Math.log10(Math.min(...good))), hi = Math.ceil(Math.log10(Math.max(...good)));
  if (hi - lo < 2) lo = hi - 2;
  const Y = (v) => box.b - ((Math.log10(v) - lo) / (hi - lo)) * (box.b - box.t);
  for (let e = lo; e <= hi; e++) {
    const y = Y(Math.pow(10, e));
    ctx.strokeStyle = C.grid; ctx.lineWidth = S; ctx.beginPath(); ctx.moveTo(box.l, y); ctx.lineTo(box.r, y); ctx.stroke();
    text(ctx, `1e${e}`, box.l - 6 * S, y, { size: 12, align: "right", base: "middle", color: C.muted });
  }
  const slot = (box.r - box.l) / values.length;
  ctx.font = `${12 * S}px ${FONT}`;
  const fits = labels.every((label) => ctx.measureText(label).width < slot * 0.95);
  values.forEach((v, i) => {
    const x = box.l + slot * i + slot * 0.15, bw = slot * 0.7;
    if (v > 0 && isFinite(v)) {
      ctx.fillStyle = C.series[i % C.series.length];
      const y = Y(v);
      ctx.fillRect(x, y, bw, box.b - y);
    }
    text(ctx, fits ? labels[i] : String(i + 1), x + bw / 2, box.b + 15 * S, { size: 12, align: "center", color: C.muted });
  });
  ctx.strokeStyle = C.axis; ctx.lineWidth = S;
  ctx.beginPath(); ctx.moveTo(box.l, box.t); ctx.lineTo(box.l, box.b); ctx.lineTo(box.r, box.b); ctx.stroke();
  text(ctx, fits ? T.layer_axis : fill(T.layer_axis_numbered, { count: values.length }), (box.l + box.r) / 2, h - 6 * S,
       { size: 12, align: "center", color: C.muted, max: box.r - box.l });
  yTitle(ctx, yLabel, 13 * S, box.t, box.b);
}

// A grid of 8-bit levels -> an offscreen image through a colour table, scaled onto the plot
// box (smoothed). Canvases are pooled by slot, so a frame allocates nothing new.
const POOL = new Map();
function pooledImage(res, slot) {
  let pooled = POOL.get(slot);
  if (!pooled || pooled.res !== res) {
    const canvas = new OffscreenCanvas(res, res);
    pooled = { res, canvas, ctx: canvas.getContext("2d"), image: new ImageData(res, res) };
    POOL.set(slot, pooled);
  }
  return pooled;
}

function gridImage(levels, res, slot = "boundary", lut = C.lut) {
  const pooled = pooledImage(res, slot), data = pooled.image.data;
  for (let row = 0; row < res; row++) {
    for (let col = 0; col < res; col++) {
      const v = levels[row * res + col] * 3, o = ((res - 1 - row) * res + col) * 4; // row 0 is the lowest x2
      data[o] = lut[v]; data[o + 1] = lut[v + 1]; data[o + 2] = lut[v + 2]; data[o + 3] = 255;
    }
  }
  pooled.ctx.putImageData(pooled.image, 0, 0);
  return pooled.canvas;
}

// More than two classes: each cell in its most likely class's colour, paler the smaller that
// class's lead over the runner-up. With `only` set, the other classes' cells stay the paper colour.
function classImage(classes, margins, res, slot = "boundary", only = -1) {
  const pooled = pooledImage(res, slot), data = pooled.image.data;
  for (let row = 0; row < res; row++) {
    for (let col = 0; col < res; col++) {
      const i = row * res + col, c = classes[i], o = ((res - 1 - row) * res + col) * 4;
      const v = only < 0 || c === only ? margins[i] * 3 : 0, lut = C.classLuts[c % C.classLuts.length];
      data[o] = lut[v]; data[o + 1] = lut[v + 1]; data[o + 2] = lut[v + 2]; data[o + 3] = 255;
    }
  }
  pooled.ctx.putImageData(pooled.image, 0, 0);
  return pooled.canvas;
}

// Where `field` crosses `level`, by marching squares, as line segments in grid coordinates.
function contour(field, res, level) {
  const segs = [];
  const at = (r, c) => field[r * res + c];
  const lerp = (a, b) => (level - a) / (b - a);
  for (let r = 0; r < res - 1; r++) {
    for (let c = 0; c < res - 1; c++) {
      const a = at(r, c), b = at(r, c + 1), d = at(r + 1, c), e = at(r + 1, c + 1);
      const pts = [];
      if ((a < level) !== (b < level)) pts.push([c + lerp(a, b), r]);
      if ((b < level) !== (e < level)) pts.push([c + 1, r + lerp(b, e)]);
      if ((d < level) !== (e < level)) pts.push([c + lerp(d, e), r + 1]);
      if ((a < level) !== (d < level)) pts.push([c, r + lerp(a, d)]);
      if (pts.length >= 2) segs.push(pts[0], pts[1]);
      if (pts.length === 4) segs.push(pts[2], pts[3]);
    }
  }
  return segs;
}

// The boundaries of a multiclass answer: for each class c, the lead of c over the best other
// class (+margin where c wins, -margin elsewhere) changes sign on c's border. The last class's
// borders are all borders of another class too.
function classBorders(classes, margins, res, count) {
  const field = buffer("borders", Float32Array, res * res), segs = [];
  for (let c = 0; c < count - 1; c++) {
    for (let i = 0; i < field.length; i++) field[i] = classes[i] === c ? margins[i] + 0.5 : -margins[i] - 0.5;
    for (const p of contour(field, res, 0)) segs.push(p);
  }
  return segs;
}

// The colour of a regression target or prediction `v` on the plane's value range.
function valueLevel(v, [lo, hi]) {
  return Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo)) * 255)));
}

// The plane: the answer's picture, the decision boundary, the data's points (once a full
// message has brought them), axes, and a regression's colour bar. `p`: what paint() gathered.
function drawBoundary(canvas, p, image) {
  const [ctx, w, h] = fit(canvas);
  const T = p.T, plane = p.plane, res = p.look.res, levels = p.look.levels, task = p.task;
  const legend = task === "regression" ? 78 * S : 0;  // room for the colour bar
  const size = Math.max(20, Math.min(w - 62 * S - legend, h - 46 * S)), box = { l: 54 * S, t: 10 * S, s: size };
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(image, box.l, box.t, size, size);
  const [[x1lo, x1hi], [x2lo, x2hi]] = plane.bounds;
  const X = (x) => box.l + ((x - x1lo) / (x1hi - x1lo)) * size;
  const Y = (y) => box.t + size - ((y - x2lo) / (x2hi - x2lo)) * size;

  // Decision boundary: probability 0.5 for two classes, the borders between classes for more.
  const segs = task === "binary" ? contour(levels.prob, res, 127.5)
             : task === "multiclass" ? classBorders(levels.cls, levels.margin, res, plane.classes) : [];
  const cell = size / (res - 1);
  ctx.strokeStyle = C.dark; ctx.lineWidth = 2.5 * S; ctx.beginPath();
  for (let i = 0; i < segs.length; i += 2) {
    ctx.moveTo(box.l + segs[i][0] * cell, box.t + size - segs[i][1] * cell);
    ctx.lineTo(box.l + segs[i + 1][0] * cell, box.t + size - segs[i + 1][1] * cell);
  }
  ctx.stroke();

  const colour = task === "regression"
    ? (targets, i) => { const v = valueLevel(targets[i], plane.range) * 3; return [C.pointLut[v], C.pointLut[v + 1], C.pointLut[v + 2]]; }
    : (targets, i) => C.classRGB[targets[i] % C.classRGB.length];
  // Regression targets run through the paper colour (a target of 0), so their points are always
  // filled and rimmed in grey: light for training points, dark for test points.
  const regression = task === "regression";
  const drawPoints = (xy, targets, test) => {
    for (let i = 0; i < targets.length; i++) {
      const x = X(xy[2 * i]), y = Y(xy[2 * i + 1]), c = colour(targets, i);
      ctx.beginPath(); ctx.arc(x, y, (test ? 5 : 4.5) * S, 0, 2 * Math.PI);
      if (regression) {
        ctx.fillStyle = `rgb(${c})`; ctx.fill();
        ctx.lineWidth = (test ? 1.3 : 0.9) * S; ctx.strokeStyle = test ? C.node : C.light_rim; ctx.stroke();
      } else if (test) {
        ctx.fillStyle = C.paper; ctx.fill();
        ctx.lineWidth = 2.5 * S; ctx.strokeStyle = `rgb(${c})`; ctx.stroke();
      } else {
        ctx.fillStyle = `rgb(${c})`; ctx.fill();
        ctx.lineWidth = 1.2 * S; ctx.strokeStyle = C.paper; ctx.stroke();
      }
    }
  };
  if (p.points) {
    drawPoints(p.points.train_x, p.points.train_y, false);
    if (p.showTest) drawPoints(p.points.test_x, p.points.test_y, true);
  }

  ctx.strokeStyle = C.axis; ctx.lineWidth = S; ctx.strokeRect(box.l, box.t, size, size);
  const count = Math.min(5, Math.max(3, Math.floor(size / (60 * S))));  // fewer labels on a small or enlarged plane
  const t1 = niceTicks(x1lo, x1hi, count), t2 = niceTicks(x2lo, x2hi, count);
  for (const t of t1) text(ctx, t1.label(t), X(t), box.t + size + 15 * S, { size: 12, align: "center", color: C.muted });
  for (const t of t2) text(ctx, t2.label(t), box.l - 6 * S, Y(t), { size: 12, align: "right", base: "middle", color: C.muted, max: box.l - 20 * S });
  text(ctx, T.x1, box.l + size / 2, box.t + size + 33 * S, { size: 13, align: "center", max: size });
  ctx.save(); ctx.translate(12 * S, box.t + size / 2); ctx.rotate(-Math.PI / 2);
  text(ctx, T.x2, 0, 0, { size: 13, align: "center", max: size }); ctx.restore();
  if (task === "regression") colourBar(ctx, T, plane.range, box.l + size + 14 * S, box.t, size);
  return box;
}

// The regression's colour scale: a vertical bar beside the plane, values on its right.
function colourBar(ctx, T, range, x, top, height) {
  const [lo, hi] = range, width = 14 * S;
  for (let i = 0; i < 64; i++) {  // 64 bands, top (high values) to bottom
    const v = Math.round(255 - (i * 255) / 63) * 3;
    ctx.fillStyle = `rgb(${C.lut[v]},${C.lut[v + 1]},${C.lut[v + 2]})`;
    ctx.fillRect(x, top + (i * height) / 64, width, height / 64 + 1);
  }
  ctx.strokeStyle = C.axis; ctx.lineWidth = S; ctx.strokeRect(x, top, width, height);
  const ticks = niceTicks(lo, hi, 5);
  for (const t of ticks) {
    const y = top + height - ((t - lo) / (hi - lo)) * height;
    ctx.beginPath(); ctx.moveTo(x + width, y); ctx.lineTo(x + width + 4 * S, y); ctx.stroke();
    text(ctx, ticks.label(t), x + width + 6 * S, y, { size: 12, base: "middle", color: C.muted, max: 34 * S });
  }
  ctx.save(); ctx.translate(x + width + 52 * S, top + height / 2); ctx.rotate(-Math.PI / 2);
  text(ctx, T.predicted_value, 0, 0, { size: 12, align: "center", base: "middle", color: C.muted, max: height }); ctx.restore();
}

// Layers of neurons; hidden neurons show a thumbnail of what they respond to over the plane,
// output neurons the network's answer; edges are blue for positive and orange for negative
// weights, thicker when larger. A large network's weights stay on the server: its edges are
// all drawn alike, thin and grey (the layers' wiring, not its strengths).
function drawNetwork(canvas, p, outputImages) {
  const [ctx, w, h] = fit(canvas);
  const T = p.T, net = p.network, thumbs = p.look.thumbs, edges = p.look.edges, tr = net.thumb_res;
  const sizes = net.shown, layers = sizes.length, classes = p.task === "multiclass";
  const node = (thumbs ? 34 : 18) * S, radius = 15 * S;
  // Output neurons of several classes are named on their right: keep room for the longest name.
  ctx.font = `${12 * S}px ${FONT}`;
  const names = classes ? Array.from({ length: sizes[layers - 1] }, (_, i) => fill(T.class_name, { number: i })) : [];
  const right = Math.max(70 * S, ...names.map((name) => node / 2 + 10 * S + ctx.measureText(name).width));
  const colX = (i) => 70 * S + (i * (w - 70 * S - right)) / Math.max(1, layers - 1);
  const rowY = (i, n) => 26 * S + ((i + 0.5) * (h - 52 * S)) / n;
  let maxW = 1e-6;
  for (const m of edges || []) for (const v of m) if (Math.abs(v) > maxW) maxW = Math.abs(v);  // NaN is skipped
  for (let l = 0; l < layers - 1; l++) {
    const nIn = sizes[l], nOut = sizes[l + 1];
    if (!edges) { ctx.strokeStyle = C.grid; ctx.lineWidth = 0.75 * S; ctx.beginPath(); }
    for (let o = 0; o < nOut; o++) {
      for (let i = 0; i < nIn; i++) {
        if (!edges) { ctx.moveTo(colX(l), rowY(i, nIn)); ctx.lineTo(colX(l + 1), rowY(o, nOut)); continue; }
        const v = edges[l][o * nIn + i], c = v >= 0 ? C.blueRGB : C.orangeRGB;
        if (!isFinite(v)) continue;  // a diverged network's
        ctx.strokeStyle = `rgba(${c},${0.25 + 0.75 * Math.min(1, Math.abs(v) / maxW)})`;
        ctx.lineWidth = (0.5 + 5 * Math.min(1, Math.abs(v) / maxW)) * S;
        ctx.beginPath(); ctx.moveTo(colX(l), rowY(i, nIn)); ctx.lineTo(colX(l + 1), rowY(o, nOut)); ctx.stroke();
      }
    }
    if (!edges) ctx.stroke();
  }
  // Input names inside their circles when they all fit (x1, x2), else to their left (sin x1).
  const inputs = net.inputs.map((name) => T[`feature_${name}`] || name);
  ctx.font = `600 ${13 * S}px ${FONT}`;
  const inside = inputs.every((name) => ctx.measureText(name).width <= 2 * radius - 4 * S);
  let k = 0;
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < sizes[l]; i++) {
      const x = colX(l), y = rowY(i, sizes[l]);
      if (l === 0) {
        ctx.fillStyle = C.node; ctx.beginPath(); ctx.arc(x, y, radius, 0, 2 * Math.PI); ctx.fill();
        if (inside) text(ctx, inputs[i], x, y, { size: 13, color: C.paper, align: "center", base: "middle", weight: "600" });
        else text(ctx, inputs[i], x - radius - 4 * S, y, { size: 13, align: "right", base: "middle", weight: "600", max: x - radius - 6 * S });
        continue;
      }
      const last = l === layers - 1;
      let border = C.node;
      if (last) {
        ctx.drawImage(outputImages[i], x - node / 2, y - node / 2, node, node);
        if (classes) border = `rgb(${C.classRGB[i % C.classRGB.length]})`;
      } else if (thumbs) {
        ctx.drawImage(gridImage(thumbs.subarray(k * tr * tr, (k + 1) * tr * tr), tr, "thumb"), x - node / 2, y - node / 2, node, node);
        k++;
      } else {
        ctx.fillStyle = C.empty; ctx.fillRect(x - node / 2, y - node / 2, node, node);
      }
      ctx.strokeStyle = border; ctx.lineWidth = (last && classes ? 3 : 1.5) * S;
      ctx.strokeRect(x - node / 2, y - node / 2, node, node);
      if (last && classes) text(ctx, names[i], x + node / 2 + 6 * S, y, { size: 12, base: "middle", color: C.muted, max: w - x - node / 2 - 8 * S });
    }
    const count = net.hidden[l - 1];
    const label = l === 0 ? T.input : l === layers - 1 ? T.output
      : count > sizes[l] ? fill(T.hidden_cut, { layer: l, shown: sizes[l], count }) : fill(T.hidden, { layer: l, count });
    const room = layers > 1 ? (w - 70 * S - right) / (layers - 1) : w;
    text(ctx, label, colX(l), h - 6 * S, { size: 12, align: "center", color: C.muted, max: Math.min(room * 0.96, 2 * colX(l), 2 * (w - colX(l))) });
  }
}

function statusHTML(s, T, task) {
  const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
  const cells = [[T.step, GROUPED.format(s.step)], [T.epoch, s.epoch.toFixed(1)],
                 [T.train_loss, fmt(s.train_loss)], [T.test_loss, fmt(s.test_loss)]];
  if (task !== "regression") cells.push([T.train_acc, pct(s.train_acc)], [T.test_acc, pct(s.test_acc)]);
  return cells.map(([k, v]) => `<div class="cell"><div class="k">${k}</div><div class="v">${v}</div></div>`).join("");
}

// Labels for screen readers, in the view's language (set only when they change).
function label(element, value) {
  if (element.getAttribute("aria-label") !== value) element.setAttribute("aria-label", value);
}

// ---------------------------------------------------------------------------------------------
// What a view keeps between messages, and playback.

const STATES = new WeakMap();  // parentElement -> its view's state
// The last words, scale and palette any view received: a view mounted afresh mid-run (its
// messages are not full until FULL_SECONDS have passed) paints with them meanwhile.
let lastView = null;

function stateOf(parentElement) {
  let state = STATES.get(parentElement);
  if (!state) {
    state = {
      root: parentElement, seen: "", view: null, run: null, showTest: true, points: null, curves: null,
      waiting: [], shown: null, painted: null, theme: "", raf: 0, offsets: [], waits: [], interval: 1,
    };
    STATES.set(parentElement, state);
  }
  return state;
}

// The seconds since 1970 on this computer's clock, steadily (performance.now never steps back).
const clock = () => (performance.timeOrigin + performance.now()) / 1000;

const MEASURES = ["train_loss", "test_loss", "train_acc", "test_acc"];

// The curves a message brings: all of them (`full`), or the points after the last step kept.
// Past MAX_CURVE_POINTS, every other point goes, counted from the newest (which stays).
function mergeCurves(state, c) {
  const names = MEASURES.filter((name) => c[name]);
  let kept = state.curves;
  if (c.full || !kept || kept.grads.length !== c.grads.length) {
    kept = { x: [], grads: c.grads.map(() => []), ...Object.fromEntries(names.map((name) => [name, []])) };
  }
  const after = kept.x.length ? kept.x[kept.x.length - 1] : -Infinity;
  c.x.forEach((step, i) => {
    if (step <= after) return;
    kept.x.push(step);
    for (const name of names) kept[name].push(c[name][i]);
    c.grads.forEach((series, layer) => kept.grads[layer].push(series[i]));
  });
  if (kept.x.length > MAX_CURVE_POINTS) {
    const thin = (series) => series.filter((_, i) => (series.length - 1 - i) % 2 === 0);
    for (const name of ["x", ...names]) kept[name] = thin(kept[name]);
    kept.grads = kept.grads.map(thin);
  }
  kept.log = c.log;
  state.curves = kept;
}

// Learn the timing from a message arriving at `now` (this computer's clock): the clock offset
// (arrival minus the server's sending time; the smallest of the last few: the clocks' difference
// plus the quickest delivery), and how long the message kept its oldest snapshot waiting.
function learnTiming(state, m, now) {
  state.interval = m.interval;
  state.offsets = [...state.offsets, now - m.now].slice(-TIMING_WINDOW);
  if (m.playing) {
    const offset = Math.min(...state.offsets);
    state.waits = [...state.waits, now - offset - m.snapshots[0].t].slice(-TIMING_WINDOW);
  }
}

// The server time up to which snapshots are due at `now`: now, less the clock offset, less the
// delay (the longest wait seen lately plus MARGIN, at most one interval plus MAX_EXTRA).
function playhead(state, now) {
  const wait = state.waits.length ? Math.max(...state.waits) : state.interval;
  const delay = Math.max(0, Math.min(wait + MARGIN, state.interval + MAX_EXTRA));
  return now - Math.min(...state.offsets) - delay;
}

// Take a message in: its words, points and curves, and, when playing, its snapshots newer than
// any shown or waiting into the waiting line (a new run first drops what the last one left).
// Snapshots overtaken by a newer one already due go at once: a hidden tab, which gets no
// animation frames, keeps no more than a few seconds of them.
function receive(state, m, now) {
  if (m.text) state.view = lastView = { text: m.text, scale: m.scale, palette: m.palette };
  if (m.run !== state.run) {
    Object.assign(state, { run: m.run, points: null, curves: null, waiting: [], shown: null, painted: null });
  }
  if (m.points) {
    const { train_x, train_y, test_x, test_y } = m.blobs;
    state.points = { train_x, train_y, test_x, test_y };
  }
  state.showTest = m.show_test;
  mergeCurves(state, m.curves);
  learnTiming(state, m, now);
  if (!m.playing) {
    state.waiting = [];
    return;
  }
  const waiting = state.waiting, newest = waiting.length ? waiting[waiting.length - 1].t : state.shown ? state.shown.t : -Infinity;
  m.snapshots.forEach((snap, index) => { if (snap.t > newest) waiting.push({ m, index, t: snap.t }); });
  const count = due(state, now);
  if (count > 1) waiting.splice(0, count - 1);
}

// How many waiting snapshots are due at `now` (the newest of them is painted, the others never
// are); while nothing is shown yet (a new run), all of them: it shows at once.
function due(state, now) {
  const head = state.shown ? playhead(state, now) : Infinity;
  let count = 0;
  while (count < state.waiting.length && state.waiting[count].t <= head) count++;
  return count;
}

// Paint what is due, then look again next animation frame while snapshots wait.
function play(state) {
  state.raf = 0;
  if (!state.root.isConnected) return;  // the view was removed from the page
  const count = due(state, clock());
  if (count > 0) paint(state, state.waiting.splice(0, count)[count - 1]);
  if (state.waiting.length) state.raf = requestAnimationFrame(() => play(state));
}

// Paint snapshot `item.index` of message `item.m` on the view's canvases.
function paint(state, { m, index, t }) {
  const view = state.view || lastView;
  if (!view) return;  // no words yet: the next full message brings them
  const started = performance.now();
  const q = (sel) => state.root.querySelector(sel);
  const snap = m.snapshots[index], T = view.text, task = m.task, regression = task === "regression";
  const root = q(".live");
  S = view.scale || 1;
  state.theme = themeOf(root);  // read before this paint changes the page, when its style is up to date and cheap to read
  usePalette(view.palette, state.theme);
  if (root.style.getPropertyValue("--scale") !== String(S)) root.style.setProperty("--scale", String(S));
  root.classList.toggle("regression", regression);
  q(".status").innerHTML = statusHTML(snap, T, task);
  q(".status").classList.toggle("diverged", snap.diverged);

  const p = { T, task, plane: m.plane, network: m.network, look: look(m, index), points: state.points, showTest: state.showTest };
  const { res, levels } = p.look;
  let picture, outputs;  // the plane's picture, and one per output neuron for the diagram
  if (task === "multiclass") {
    picture = classImage(levels.cls, levels.margin, res);
    outputs = Array.from({ length: m.plane.classes }, (_, c) => classImage(levels.cls, levels.margin, res, `class${c}`, c));
  } else {
    picture = gridImage(regression ? levels.value : levels.prob, res);
    outputs = [picture];
  }
  label(q("canvas.boundary"), regression ? T.aria_surface : T.aria_boundary);
  state.plane = { box: drawBoundary(q("canvas.boundary"), p, picture), bounds: m.plane.bounds };  // where a click lands

  // The curves up to the step on screen: they never run ahead of the plane.
  const c = state.curves;
  let shown = c.x.length;
  while (shown > 0 && c.x[shown - 1] > snap.step) shown--;
  const upTo = (series) => (series.length === shown ? series : series.slice(0, shown));
  const xs = upTo(c.x);
  const lossAxis = regression ? (c.log ? T.squared_error_axis_log : T.squared_error_axis) : (c.log ? T.loss_axis_log : T.loss_axis);
  // An early stop (header `stop`: null, or absent from older servers), once the curves reach it.
  const stop = m.stop && m.stop.step <= snap.step
    ? { step: m.stop.step, best: m.stop.best_step, label: T.early_stop || "early stop" } : null;
  label(q("canvas.loss"), T.aria_loss);
  lineChart(q("canvas.loss"), T, {
    title: T.loss, xs, xLabel: T.steps_axis, yLabel: lossAxis, log: c.log, stop: stop && { ...stop, ring: 1 },
    series: [{ y: upTo(c.train_loss), color: C.train, label: T.train }, { y: upTo(c.test_loss), color: C.test, label: T.test, dash: [7, 4] }],
  });
  if (!regression) {  // a regression has no accuracy: its canvas is hidden (live_view.css)
    label(q("canvas.accuracy"), T.aria_accuracy);
    lineChart(q("canvas.accuracy"), T, {
      title: T.accuracy, xs, xLabel: T.steps_axis, yLabel: T.accuracy_axis, yFixed: [0, 1], stop,
      series: [{ y: upTo(c.train_acc), color: C.train, label: T.train }, { y: upTo(c.test_acc), color: C.test, label: T.test, dash: [7, 4] }],
    });
  }
  const names = m.network.names;
  label(q("canvas.gradtime"), T.aria_gradient_flow);
  lineChart(q("canvas.gradtime"), T, {
    title: T.gradient_flow, xs, xLabel: T.steps_axis, yLabel: T.gradient_axis, log: true,
    series: c.grads.map((ys, i) => ({ y: upTo(ys), color: C.series[i % C.series.length], label: names[i], width: 2 })),
  });
  label(q("canvas.gradbars"), T.aria_gradient_now);
  barChart(q("canvas.gradbars"), T, { title: T.gradient_now, values: snap.grads, labels: names, yLabel: T.gradient_axis });
  label(q("canvas.network"), T.aria_network);
  drawNetwork(q("canvas.network"), p, outputs);
  const save = q("button.save");  // "Save image": labelled in the view's language, its one handler set once
  if (save.textContent !== T.save_image) save.textContent = T.save_image;
  if (!save.onclick) save.onclick = () => saveImage(state);
  state.shown = { t, step: snap.step };
  state.painted = { m, index, t };
  // Counters read by bench/ui_fps.py and the browser tests: frames painted, the step and the
  // server time of the snapshot shown (its lag: Date.now() / 1000 - __playgroundShownT).
  window.__playgroundStep = snap.step;
  window.__playgroundShownT = t;
  window.__playgroundTask = task;
  window.__playgroundPoints = state.points ? state.points.train_y.length + state.points.test_y.length : 0;
  window.__playgroundDrawMs = (window.__playgroundDrawMs || 0) + performance.now() - started;
  requestAnimationFrame(() => { window.__playgroundFrames = (window.__playgroundFrames || 0) + 1; });
}

// "Save image": the view as one PNG, laid out as on screen (the status figures, the plane, the
// curves, the gradients and the network) on the theme's background, at the screen's pixel ratio,
// downloaded through a link with `download` (nothing leaves the browser).
function saveImage(state) {
  const root = state.root.querySelector(".live"), box = root.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  const shown = [...root.querySelectorAll("canvas, .status .cell")]
    .map((element) => [element, element.getBoundingClientRect()]).filter(([, r]) => r.width > 0 && r.height > 0);
  const height = Math.max(...shown.map(([, r]) => r.bottom)) - box.top, margin = 12;  // CSS pixels around it all
  const out = document.createElement("canvas");
  out.width = Math.round((box.width + 2 * margin) * ratio);
  out.height = Math.round((height + 2 * margin) * ratio);
  const ctx = out.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.fillStyle = getComputedStyle(root).getPropertyValue("--st-background-color").trim() || "#ffffff";
  ctx.fillRect(0, 0, box.width + 2 * margin, height + 2 * margin);
  ctx.translate(margin, margin);
  ctx.textBaseline = "top";
  for (const [element, r] of shown) {
    const x = r.left - box.left, y = r.top - box.top;
    if (element instanceof HTMLCanvasElement) {
      ctx.drawImage(element, x, y, r.width, r.height);
      continue;
    }
    const cellStyle = getComputedStyle(element);  // a status cell: its background, then its name and value
    ctx.fillStyle = cellStyle.backgroundColor;
    ctx.beginPath();
    ctx.roundRect(x, y, r.width, r.height, parseFloat(cellStyle.borderRadius) || 0);
    ctx.fill();
    for (const part of element.children) {
      const p = part.getBoundingClientRect(), f = getComputedStyle(part);
      ctx.font = `${f.fontWeight} ${f.fontSize} ${f.fontFamily}`;
      ctx.fillStyle = f.color;
      ctx.fillText(part.textContent, p.left - box.left, p.top - box.top, p.width);
    }
  }
  out.toBlob((blob) => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `playground-step${state.shown ? state.shown.step : 0}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }, "image/png");
}

// Your own data (header `draw`): a click on the plane sends its point, in the plane's coordinates,
// as the component's `click` trigger; the page adds it to the drawing and the next message shows it.
function takeClicks(state, m, setTriggerValue) {
  const canvas = state.root.querySelector("canvas.boundary");
  state.draw = Boolean(m.draw);
  state.setTriggerValue = setTriggerValue;
  canvas.classList.toggle("drawing", state.draw);
  if (canvas.onclick) return;  // one handler, set once; it reads the state as it is at the click
  canvas.onclick = (event) => {
    const plane = state.plane;
    if (!state.draw || !plane || !state.setTriggerValue) return;
    const { box } = plane, [[x1lo, x1hi], [x2lo, x2hi]] = plane.bounds;
    const u = (event.offsetX - box.l) / box.s, v = (box.t + box.s - event.offsetY) / box.s;
    if (u < 0 || u > 1 || v < 0 || v > 1) return;  // on the axes' labels, not on the plane
    state.setTriggerValue("click", { x1: x1lo + u * (x1hi - x1lo), x2: x2lo + v * (x2hi - x2lo) });
  };
}

export default function ({ data: payload, parentElement, setTriggerValue }) {
  if (!(payload instanceof Uint8Array) || payload.length < 4) return;
  window.__playgroundMessageAt = Date.now();  // read by the page's watchdog (playground/components/watchdog.py)
  const state = stateOf(parentElement);
  const m = messageOf(...unpack(payload));
  takeClicks(state, m, setTriggerValue);
  const id = `${m.run} ${m.now}`;
  if (id === state.seen) {  // the same message again: nothing new, unless the theme changed (Streamlit calls again then)
    if (state.painted && !state.raf && themeOf(parentElement.querySelector(".live")) !== state.theme) paint(state, state.painted);
    return;
  }
  state.seen = id;
  receive(state, m, clock());
  if (!m.playing) {  // Pause, Step, Reset, a setting changed while paused: the newest snapshot, at once
    const index = m.snapshots.length - 1;
    if (!state.shown || m.snapshots[index].t >= state.shown.t) paint(state, { m, index, t: m.snapshots[index].t });
  } else if (!state.raf) {
    play(state);
  }
}
