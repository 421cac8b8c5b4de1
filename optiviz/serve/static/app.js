// optiviz playground: the page talks only to the JSON API (/api/...) of the server that sent it.
// Plain canvas, no libraries, no build step. State lives in the URL (history.replaceState), so a link or a reload
// restores the same race. window.optiviz exposes the state for tests and the curious.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const RAMP = ["#7D8A96", "#AEB8C1", "#D3D9DE", "#EEF0F2", "#FBFBFC"];  // style.background_cmap
  const BASIN_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  const DEFAULTS = ["gd", "momentum", "adagrad", "rmsprop", "adam"];

  const S = {  // everything the URL carries, plus what the server told us
    surface: "ravine", steps: 300, seed: 0, start: null, internals: false, basin: false, basinOpt: null, basinN: 100,
    speed: 1, opts: {},  // name -> {on: bool, hp: {key: value}}
    catalog: { surfaces: [], optimizers: [] }, info: null, grid: null, run: null, basinRun: null,
    pos: 0, playing: false, runs: 0, draws: 0, errors: [], ready: false,
  };
  window.optiviz = S;

  // ---------------------------------------------------------------------------------------------- helpers
  function message(text, isError) {
    const m = $("message");
    m.textContent = text || "";
    m.className = isError ? "error" : "";
  }
  async function api(path, body) {
    const init = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    const resp = await fetch(path, init);
    if (!resp.ok) {
      let text = resp.status + " " + resp.statusText;
      try { text = (await resp.json()).error || text; } catch (e) { /* not JSON */ }
      throw new Error(text);
    }
    return resp;
  }
  const fmt = (v) => (v === null || v === undefined) ? "–" :
    (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)) ? v.toExponential(2) : (+v.toPrecision(3)).toString();
  function hexToRgb(h) { const v = parseInt(h.slice(1), 16); return [(v >> 16) & 255, (v >> 8) & 255, v & 255]; }
  function ramp(t) {  // t in [0, 1] -> the pale background ramp (dark = low loss)
    t = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
    const i = Math.min(RAMP.length - 2, Math.floor(t)), f = t - i;
    const a = hexToRgb(RAMP[i]), b = hexToRgb(RAMP[i + 1]);
    return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k])));
  }
  function debounce(fn, ms) { let t = null; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }

  // ---------------------------------------------------------------------------------------------- URL state
  function enabled() { return S.catalog.optimizers.filter((o) => S.opts[o.name] && S.opts[o.name].on); }
  function requestOptimizers() {
    return enabled().map((o) => Object.assign({ name: o.name }, S.opts[o.name].hp));
  }
  function saveURL() {
    const p = new URLSearchParams();
    p.set("surface", S.surface);
    // each ticked optimizer with its lr and the hyperparameters that differ from their defaults
    p.set("opt", enabled().map((o) => o.name + ":" + Object.entries(S.opts[o.name].hp)
      .filter(([k, v]) => k === "lr" || v !== o.hyperparameters[k].default)
      .map(([k, v]) => k + "=" + (typeof v === "number" ? +v.toPrecision(4) : v)).join(",")).join(";"));
    if (S.start) p.set("start", S.start.map((v) => +v.toPrecision(5)).join(","));
    p.set("steps", S.steps); p.set("seed", S.seed);
    if (S.internals) p.set("internals", "1");
    if (S.basin) { p.set("basin", "1"); p.set("basin_n", S.basinN); if (S.basinOpt) p.set("basin_of", S.basinOpt); }
    if (S.speed !== 1) p.set("speed", S.speed);
    history.replaceState(null, "", "?" + p.toString());
  }
  function loadURL() {
    const p = new URLSearchParams(location.search);
    const out = {};
    if (p.has("surface")) out.surface = p.get("surface");
    if (p.has("opt")) {
      out.opts = {};
      for (const item of p.get("opt").split(";").filter(Boolean)) {
        const [name, rest] = [item.split(":")[0], item.split(":").slice(1).join(":")];
        const hp = {};
        for (const kv of (rest || "").split(",").filter(Boolean)) {
          const [k, v] = kv.split("=");
          // a number, a flag, or a choice's name (the convention: "torch")
          hp[k] = v === "true" ? true : v === "false" ? false : /^[A-Za-z_]\w*$/.test(v) ? v : parseFloat(v);
        }
        out.opts[name] = hp;
      }
    }
    if (p.has("start")) {
      const v = p.get("start").split(",").map(parseFloat);
      if (v.length === 2 && v.every(isFinite)) out.start = v;
    }
    for (const k of ["steps", "seed", "basin_n"]) if (p.has(k) && isFinite(parseInt(p.get(k)))) out[k] = parseInt(p.get(k));
    out.internals = p.get("internals") === "1";
    out.basin = p.get("basin") === "1";
    if (p.has("basin_of")) out.basinOpt = p.get("basin_of");
    if (p.has("speed")) out.speed = parseFloat(p.get("speed")) || 1;
    return out;
  }

  // ---------------------------------------------------------------------------------------------- geometry
  const map = $("map"), mctx = map.getContext("2d");
  const PAD = { l: 44, r: 12, t: 12, b: 32 };
  function dom() { return S.info.domain; }
  function toPx(x, y) {
    const [[x0, x1], [y0, y1]] = dom();
    const w = map.width - PAD.l - PAD.r, h = map.height - PAD.t - PAD.b;
    return [PAD.l + (x - x0) / (x1 - x0) * w, PAD.t + (1 - (y - y0) / (y1 - y0)) * h];
  }
  function toWorld(px, py) {
    const [[x0, x1], [y0, y1]] = dom();
    const w = map.width - PAD.l - PAD.r, h = map.height - PAD.t - PAD.b;
    const x = x0 + (px - PAD.l) / w * (x1 - x0), y = y0 + (1 - (py - PAD.t) / h) * (y1 - y0);
    return [Math.min(x1, Math.max(x0, x)), Math.min(y1, Math.max(y0, y))];
  }
  function eventWorld(ev) {
    const r = map.getBoundingClientRect();
    return toWorld((ev.clientX - r.left) * map.width / r.width, (ev.clientY - r.top) * map.height / r.height);
  }

  // ---------------------------------------------------------------------------------------------- background
  let background = null;  // an offscreen canvas: heatmap, contours, axes (drawn once per grid)
  function levelsFor(g) {
    if (Array.isArray(g.levels) && g.levels.length > 1) return g.levels;
    const lo = g.zmin, hi = g.zmax, out = [];
    if (lo === null || hi === null || !(hi > lo)) return out;
    for (let i = 1; i <= 20; i++) out.push(lo + (hi - lo) * Math.pow(i / 20, 3));  // denser near the minimum
    return out;
  }
  function drawBackground() {
    const g = S.grid, n = g.n;
    const off = document.createElement("canvas");
    off.width = map.width; off.height = map.height;
    const c = off.getContext("2d");
    c.fillStyle = "#fff"; c.fillRect(0, 0, off.width, off.height);
    // heatmap: log of the gap above the lowest value, on the pale ramp
    const img = document.createElement("canvas"); img.width = n; img.height = n;
    const ictx = img.getContext("2d"), data = ictx.createImageData(n, n);
    const lo = g.zmin, span = Math.log1p(Math.max(1e-12, g.zmax - g.zmin));
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
      const z = g.z[j][i], k = ((n - 1 - j) * n + i) * 4;
      const rgb = z === null ? [255, 255, 255] : ramp(Math.log1p(Math.max(0, z - lo)) / span);
      data.data[k] = rgb[0]; data.data[k + 1] = rgb[1]; data.data[k + 2] = rgb[2]; data.data[k + 3] = 255;
    }
    ictx.putImageData(data, 0, 0);
    const [ax, ay] = toPx(dom()[0][0], dom()[1][1]), [bx, by] = toPx(dom()[0][1], dom()[1][0]);
    c.imageSmoothingEnabled = true;
    c.drawImage(img, ax, ay, bx - ax, by - ay);
    if (S.basin && S.basinRun) drawBasins(c);
    // contours by marching squares, one level at a time
    c.strokeStyle = "rgba(70, 84, 96, 0.55)"; c.lineWidth = 0.8;
    const xs = g.x, ys = g.y;
    for (const lev of levelsFor(g)) {
      c.beginPath();
      for (let j = 0; j < n - 1; j++) for (let i = 0; i < n - 1; i++) {
        const v = [g.z[j][i], g.z[j][i + 1], g.z[j + 1][i + 1], g.z[j + 1][i]];
        if (v.some((q) => q === null)) continue;
        const pts = [];
        const edge = (a, b, pa, pb) => {
          if ((v[a] < lev) !== (v[b] < lev)) {
            const t = (lev - v[a]) / (v[b] - v[a]);
            pts.push([pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])]);
          }
        };
        const c0 = [xs[i], ys[j]], c1 = [xs[i + 1], ys[j]], c2 = [xs[i + 1], ys[j + 1]], c3 = [xs[i], ys[j + 1]];
        edge(0, 1, c0, c1); edge(1, 2, c1, c2); edge(2, 3, c2, c3); edge(3, 0, c3, c0);
        for (let k = 0; k + 1 < pts.length; k += 2) {
          const p = toPx(pts[k][0], pts[k][1]), q = toPx(pts[k + 1][0], pts[k + 1][1]);
          c.moveTo(p[0], p[1]); c.lineTo(q[0], q[1]);
        }
      }
      c.stroke();
    }
    // frame and ticks
    c.strokeStyle = "#666"; c.lineWidth = 1; c.strokeRect(ax, ay, bx - ax, by - ay);
    c.fillStyle = "#555"; c.font = "11px system-ui, sans-serif";
    const [[x0, x1], [y0, y1]] = dom();
    c.textAlign = "center";
    for (let k = 0; k <= 4; k++) { const x = x0 + k * (x1 - x0) / 4, p = toPx(x, y0); c.fillText(fmt(x), p[0], p[1] + 14); }
    c.textAlign = "right";
    for (let k = 0; k <= 4; k++) { const y = y0 + k * (y1 - y0) / 4, p = toPx(x0, y); c.fillText(fmt(y), p[0] - 4, p[1] + 4); }
    c.textAlign = "center";
    c.fillText((S.info.axis_labels || ["x", "y"])[0], (ax + bx) / 2, map.height - 4);
    // minima: yellow stars
    for (const m of S.info.minima) star(c, ...toPx(m[0], m[1]), 7);
    background = off;
  }
  function star(c, x, y, r) {  // hollow, as in the figures: a path arriving under a minimum stays visible
    c.beginPath();
    for (let k = 0; k < 10; k++) {
      const a = -Math.PI / 2 + k * Math.PI / 5, rr = k % 2 ? r * 0.45 : r;
      c.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
    }
    c.closePath();
    c.strokeStyle = "#fff"; c.lineWidth = 3; c.stroke();
    c.strokeStyle = "#222"; c.lineWidth = 1.4; c.stroke();
  }
  function dashOf(r, width) { return (r.dash || []).map((v) => v * width); }  // the figures' dashes, in line widths
  function marker(c, shape, x, y, r) {  // matplotlib's marker codes: o ^ v s D P X
    c.beginPath();
    const poly = (pts) => { pts.forEach(([px, py], i) => i ? c.lineTo(x + px * r, y + py * r) : c.moveTo(x + px * r, y + py * r)); c.closePath(); };
    if (shape === "^") poly([[0, -1.2], [1.1, 0.8], [-1.1, 0.8]]);
    else if (shape === "v") poly([[0, 1.2], [1.1, -0.8], [-1.1, -0.8]]);
    else if (shape === "s") poly([[-0.9, -0.9], [0.9, -0.9], [0.9, 0.9], [-0.9, 0.9]]);
    else if (shape === "D") poly([[0, -1.2], [1.0, 0], [0, 1.2], [-1.0, 0]]);
    else if (shape === "P") poly([[-0.35, -1], [0.35, -1], [0.35, -0.35], [1, -0.35], [1, 0.35], [0.35, 0.35], [0.35, 1],
      [-0.35, 1], [-0.35, 0.35], [-1, 0.35], [-1, -0.35], [-0.35, -0.35]]);
    else if (shape === "X") poly([[-1, -0.6], [-0.6, -1], [0, -0.4], [0.6, -1], [1, -0.6], [0.4, 0], [1, 0.6], [0.6, 1],
      [0, 0.4], [-0.6, 1], [-1, 0.6], [-0.4, 0]]);
    else c.arc(x, y, r, 0, 2 * Math.PI);
  }
  function drawBasins(c) {
    const b = S.basinRun, run = b.runs.find((r) => r.label === S.basinOpt) || b.runs[0];
    if (!run) return;
    const n = b.grid, img = document.createElement("canvas"); img.width = n; img.height = n;
    const ictx = img.getContext("2d"), data = ictx.createImageData(n, n);
    const byLoss = b.minima.length === 0;
    let lo = Infinity, hi = -Infinity;
    if (byLoss) for (const v of run.final_loss) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    for (let k = 0; k < n * n; k++) {
      const j = Math.floor(k / n), i = k % n, q = ((n - 1 - j) * n + i) * 4, basin = run.basin[k];
      let rgb;
      if (basin === -2) rgb = [120, 0, 0];
      else if (byLoss) rgb = ramp(Math.log1p(Math.max(0, (run.final_loss[k] ?? hi) - lo)) / Math.log1p(Math.max(1e-12, hi - lo)));
      else if (basin === -1) rgb = [235, 235, 235];
      else rgb = hexToRgb(BASIN_COLORS[basin % BASIN_COLORS.length]);
      data.data[q] = rgb[0]; data.data[q + 1] = rgb[1]; data.data[q + 2] = rgb[2]; data.data[q + 3] = 120;
    }
    ictx.putImageData(data, 0, 0);
    const [ax, ay] = toPx(dom()[0][0], dom()[1][1]), [bx, by] = toPx(dom()[0][1], dom()[1][0]);
    c.imageSmoothingEnabled = false;
    c.drawImage(img, ax, ay, bx - ax, by - ay);
    c.imageSmoothingEnabled = true;
  }
  function basinLegend() {
    const el = $("basin-legend");
    el.hidden = !(S.basin && S.basinRun);
    if (el.hidden) return;
    const b = S.basinRun, parts = [];
    const run = b.runs.find((r) => r.label === S.basinOpt) || b.runs[0];
    const share = (v) => run ? Math.round(100 * run.basin.filter((q) => q === v).length / run.basin.length) + "%" : "";
    parts.push(`<span class="muted">${run ? escapeHtml(run.label) : ""} from ${b.n_starts} starts, ${b.steps} steps:</span>`);
    if (b.minima.length === 0) parts.push("<span>coloured by final loss (this surface names no minimum)</span>");
    b.minima.forEach((m, i) => parts.push(`<span><i style="background:${BASIN_COLORS[i % BASIN_COLORS.length]}"></i>${share(i)} end near (${fmt(m[0])}, ${fmt(m[1])})</span>`));
    if (b.minima.length) parts.push(`<span><i style="background:#ebebeb"></i>${share(-1)} elsewhere</span>`);
    parts.push(`<span><i style="background:#780000"></i>${share(-2)} diverged</span>`);
    el.innerHTML = parts.join("");
  }

  // ---------------------------------------------------------------------------------------------- the race
  function currentStep() { return S.run ? Math.min(S.run.steps, Math.round(S.pos)) : 0; }
  function drawMap() {
    if (!background) return;
    mctx.clearRect(0, 0, map.width, map.height);
    mctx.drawImage(background, 0, 0);
    const run = S.run;
    if (run) {
      const k = currentStep();
      run.runs.forEach((r, idx) => {
        const last = Math.min(k, r.path.length - 1);
        mctx.save();
        mctx.strokeStyle = r.color; mctx.lineWidth = 2; mctx.setLineDash(dashOf(r, 2));
        mctx.beginPath();
        for (let t = 0; t <= last; t++) { const p = toPx(r.path[t][0], r.path[t][1]); t ? mctx.lineTo(p[0], p[1]) : mctx.moveTo(p[0], p[1]); }
        mctx.stroke();
        mctx.restore();
        const p = toPx(r.path[last][0], r.path[last][1]);
        const dead = r.diverged_at !== null && k >= r.diverged_at;
        marker(mctx, dead ? "X" : r.marker, p[0], p[1], 5.5);
        mctx.fillStyle = dead ? "#C00000" : r.color; mctx.fill(); mctx.strokeStyle = "#fff"; mctx.lineWidth = 1.3; mctx.stroke();
        if (S.internals && r.grad && last < r.grad.length) drawInternals(r, last, p);
      });
      const s = toPx(run.start[0], run.start[1]);  // the start: a hollow ring, as in the figures
      mctx.beginPath(); mctx.arc(s[0], s[1], 6.5, 0, 2 * Math.PI);
      mctx.strokeStyle = "#fff"; mctx.lineWidth = 3.5; mctx.stroke(); mctx.strokeStyle = "#222"; mctx.lineWidth = 1.6; mctx.stroke();
      S.drawn = run.runs.map((r) => ({ label: r.label, points: Math.min(k, r.path.length - 1) + 1 }));
    }
    S.draws++;
  }
  function arrow(c, x, y, dx, dy, color, dash) {
    const len = Math.hypot(dx, dy);
    if (!(len > 0.5)) return;
    c.save(); c.strokeStyle = color; c.fillStyle = color; c.lineWidth = 1.6; c.setLineDash(dash || []);
    c.beginPath(); c.moveTo(x, y); c.lineTo(x + dx, y + dy); c.stroke();
    const a = Math.atan2(dy, dx);
    c.setLineDash([]); c.beginPath(); c.moveTo(x + dx, y + dy);
    c.lineTo(x + dx - 7 * Math.cos(a - 0.4), y + dy - 7 * Math.sin(a - 0.4));
    c.lineTo(x + dx - 7 * Math.cos(a + 0.4), y + dy - 7 * Math.sin(a + 0.4)); c.closePath(); c.fill();
    c.restore();
  }
  function drawInternals(r, t, p) {
    // the descent direction -g (fixed length) and the step taken (magnified to the same scale across runs)
    const [[x0, x1], [y0, y1]] = dom(), sx = (map.width - PAD.l - PAD.r) / (x1 - x0), sy = (map.height - PAD.t - PAD.b) / (y1 - y0);
    const g = r.grad[t], u = r.step[t];
    const gl = Math.hypot(g[0] * sx, g[1] * sy);
    if (gl > 0) arrow(mctx, p[0], p[1], -g[0] * sx / gl * 40, g[1] * sy / gl * 40, "#111", [3, 2]);
    const ul = Math.hypot(u[0] * sx, u[1] * sy);
    if (ul > 0) { const m = Math.min(60, Math.max(12, ul)) / ul; arrow(mctx, p[0], p[1], u[0] * sx * m, -u[1] * sy * m, r.color); }
  }

  const lossCanvas = $("loss"), lctx = lossCanvas.getContext("2d");
  function drawLoss() {
    const c = lctx, W = lossCanvas.width, H = lossCanvas.height, L = 48, R = 8, T = 18, B = 26;
    c.clearRect(0, 0, W, H); c.fillStyle = "#fff"; c.fillRect(0, 0, W, H);
    const run = S.run;
    if (!run) return;
    const fmin = run.f_min, gap = fmin !== null && fmin !== undefined;
    const val = (v) => gap ? Math.log10(Math.max(v - fmin, 1e-12)) : v;
    let lo = Infinity, hi = -Infinity;
    for (const r of run.runs) for (const v of r.loss) if (v !== null) { const q = val(v); lo = Math.min(lo, q); hi = Math.max(hi, q); }
    if (!(hi > lo)) { hi = lo + 1; }
    const X = (t) => L + t / Math.max(1, run.steps) * (W - L - R), Y = (q) => T + (1 - (q - lo) / (hi - lo)) * (H - T - B);
    c.strokeStyle = "#666"; c.strokeRect(L, T, W - L - R, H - T - B);
    c.fillStyle = "#555"; c.font = "11px system-ui, sans-serif"; c.textAlign = "right";
    if (gap) {  // whole decades, at most six labels
      const every = Math.max(1, Math.ceil((Math.floor(hi) - Math.ceil(lo) + 1) / 6));
      for (let q = Math.ceil(lo); q <= hi; q += every) c.fillText("1e" + q, L - 3, Y(q) + 4);
    } else for (let k = 0; k <= 4; k++) { const q = lo + k * (hi - lo) / 4; c.fillText(fmt(q), L - 3, Y(q) + 4); }
    c.textAlign = "center"; c.fillText("step", (L + W - R) / 2, H - 4);
    c.textAlign = "left"; c.fillText(gap ? "loss − f(minimum), log scale" : "loss", L, 12);
    const k = currentStep();
    run.runs.forEach((r, idx) => {
      c.save(); c.strokeStyle = r.color; c.lineWidth = 1.6; c.setLineDash(dashOf(r, 1.6)); c.beginPath();
      const last = Math.min(k, r.loss.length - 1);
      for (let t = 0; t <= last; t++) { const q = val(r.loss[t]); t ? c.lineTo(X(t), Y(q)) : c.moveTo(X(t), Y(q)); }
      c.stroke(); c.restore();
    });
    c.strokeStyle = "#999"; c.beginPath(); c.moveTo(X(k), T); c.lineTo(X(k), H - B); c.stroke();
  }
  function drawStatus() {
    const body = $("status").querySelector("tbody");
    const run = S.run;
    if (!run) { body.innerHTML = ""; return; }
    const k = currentStep();
    body.innerHTML = run.runs.map((r) => {
      const loss = r.loss[Math.min(k, r.loss.length - 1)];
      const st = r.diverged_at !== null ? `diverged at step ${r.diverged_at}` :
        r.reached_at !== null ? `converged at step ${r.reached_at}` :
        run.tol === null ? "–" : `not converged in ${run.steps} steps`;
      return `<tr><td><span class="swatch" style="background:${r.color}"></span> ${escapeHtml(r.legend || r.label)}</td>` +
        `<td class="num">${fmt(loss)}</td><td>${st}</td></tr>`;
    }).join("");
    $("tol-note").textContent = run.tol === null ? "This surface names no minimum, so no run is called converged." :
      run.f_min === null ? `Converged: loss ≤ ${fmt(run.tol)}.` :
      `Converged: loss within ${fmt(run.tol - run.f_min)} of the global minimum's (1e-4 of the drop from the surface's start).`;
    const panel = $("internals-panel");
    panel.hidden = !S.internals;
    if (S.internals && run.runs[0] && run.runs[0].effective_lr) {
      const t = Math.min(k, run.steps - 1);
      panel.innerHTML = `<strong>step ${t}</strong>: effective lr |Δᵢ|/|gᵢ| per coordinate<br>` + run.runs.map((r) =>
        `<span class="swatch" style="background:${r.color}"></span> ${escapeHtml(r.label)}: x ${fmt(r.effective_lr[t][0])}, y ${fmt(r.effective_lr[t][1])}`).join("<br>") +
        '<br><span class="muted">dashed black arrow: the descent direction −g; coloured arrow: the step taken (magnified)</span>';
    }
  }
  function escapeHtml(s) { return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }
  function redraw() {
    drawMap(); drawLoss(); drawStatus();
    const k = currentStep();
    $("scrub").value = k; $("step-label").textContent = "step " + k;
  }

  // ---------------------------------------------------------------------------------------------- animation
  let lastFrame = null;
  function tick(now) {
    if (!S.playing || !S.run) { lastFrame = null; return; }
    if (lastFrame !== null) {
      // 1x plays the whole race in about 4 seconds, whatever its length
      S.pos += (now - lastFrame) / 1000 * S.speed * Math.max(S.run.steps, 1) / 4;
      if (S.pos >= S.run.steps) { S.pos = S.run.steps; setPlaying(false); }
    }
    lastFrame = now;
    redraw();
    if (S.playing) requestAnimationFrame(tick);
  }
  function setPlaying(on) {
    S.playing = on;
    $("play").textContent = on ? "Pause" : "Play";
    $("play").setAttribute("aria-pressed", String(on));
    if (on) { if (S.run && S.pos >= S.run.steps) S.pos = 0; lastFrame = null; requestAnimationFrame(tick); }
  }

  // ---------------------------------------------------------------------------------------------- requests
  let runSeq = 0, inFlight = false, queued = null;
  function runBody() {
    return { surface: S.surface, optimizers: requestOptimizers(), start: S.start, steps: S.steps, seed: S.seed,
      internals: S.internals };
  }
  async function rerun(opts) {
    // one request in flight; while it runs, only the newest change waits (a drag sends no backlog)
    opts = opts || {};
    if (!S.info) return;
    if (inFlight) { queued = Object.assign(queued || {}, opts); S.pending = true; return; }
    if (enabled().length === 0) { S.run = null; redraw(); message("Tick at least one optimizer."); return; }
    inFlight = true; S.pending = true;
    const seq = ++runSeq, body = runBody();
    saveURL();
    try {
      const t0 = performance.now();
      const data = await (await api("/api/run", body)).json();
      if (seq !== runSeq) return;
      S.run = data; S.runs++;
      if (opts.rebuild) buildOptimizers();
      S.lastRoundTrip = performance.now() - t0;
      if (opts.animate) { S.pos = 0; setPlaying(true); } else { S.pos = Math.min(S.pos, data.steps); }
      if (opts.end) S.pos = data.steps;
      redraw();
      message(`${data.runs.length} optimizers × ${data.steps} steps in ${S.lastRoundTrip.toFixed(0)} ms` +
        (data.compiled ? " (compiled a new program)" : ""));
    } catch (e) {
      message(e.message, true);
    } finally {
      inFlight = false;
      if (queued) { const q = queued; queued = null; rerun(q); } else S.pending = false;
    }
    if (S.basin) refreshBasins();
  }
  let basinSeq = 0;
  const refreshBasins = debounce(async function () {
    if (!S.basin || !S.info || enabled().length === 0) return;
    const seq = ++basinSeq;
    const body = { surface: S.surface, optimizers: requestOptimizers(), starts: { grid: S.basinN }, steps: S.steps, seed: S.seed,
      fields: S.info.minima.length ? ["basin"] : ["basin", "final_loss"] };  // only what the map draws
    message("computing the basin map…");
    try {
      const t0 = performance.now();
      const data = await (await api("/api/run", body)).json();
      if (seq !== basinSeq) return;
      S.basinRun = data;
      if (!data.runs.some((r) => r.label === S.basinOpt)) S.basinOpt = data.runs[0].label;
      fillBasinSelect();
      drawBackground(); redraw(); basinLegend();
      message(`basin map: ${data.n_starts} starts × ${data.runs.length} optimizers in ${(performance.now() - t0).toFixed(0)} ms`);
    } catch (e) { message(e.message, true); }
  }, 250);
  function fillBasinSelect() {
    const sel = $("basin-opt");
    const labels = S.basinRun ? S.basinRun.runs.map((r) => r.label) : enabled().map((o) => o.name);
    sel.innerHTML = labels.map((l) => `<option${l === S.basinOpt ? " selected" : ""}>${escapeHtml(l)}</option>`).join("");
  }

  async function selectSurface(spec, keep) {
    message("loading " + spec + "…");
    const g = await (await api("/api/grid?" + new URLSearchParams({ surface: spec, n: 120 }))).json();
    S.surface = spec; S.grid = g; S.info = g; S.basinRun = null;
    if (!keep || !keep.start) S.start = g.start.slice();
    if (!keep || !keep.lr) for (const o of S.catalog.optimizers) {  // each lr: the surface's suggestion, else the default
      const st = S.opts[o.name];
      st.hp.lr = g.lr[o.name] !== undefined ? g.lr[o.name] : o.hyperparameters.lr.default;
    }
    $("caption").textContent = g.caption;
    $("description").textContent = g.description || "";
    $("about").hidden = !g.description;
    const sel = $("surface");
    if ([...sel.options].some((op) => op.value === spec)) sel.value = spec;
    else { sel.value = ""; $("formula").value = spec.startsWith("expr:") ? spec.slice(5) : spec; }
    buildOptimizers();
    drawBackground(); basinLegend();
  }

  // ---------------------------------------------------------------------------------------------- controls
  function sliderFor(name, key, meta) {
    const id = `hp-${name}-${key}`, st = S.opts[name];
    const row = document.createElement("div"); row.className = "hp";
    if (meta.type === "choice") {  // the convention: optax's formulas and defaults, or PyTorch's
      const current = st.hp[key] !== undefined ? st.hp[key] : meta.default;
      row.innerHTML = `<label for="${id}">${key}</label><select id="${id}">` +
        meta.choices.map((c) => `<option${c === current ? " selected" : ""}>${c}</option>`).join("") + `</select><span></span>`;
      row.querySelector("select").addEventListener("change", (e) => {
        st.hp[key] = e.target.value;
        Object.assign(st.hp, (meta.sets || {})[e.target.value] || {});  // the convention's own defaults
        buildOptimizers(); rerun();
      });
      return row;
    }
    if (meta.type === "bool") {
      row.innerHTML = `<label for="${id}">${key}</label><input id="${id}" type="checkbox"${st.hp[key] ? " checked" : ""}><span></span>`;
      row.querySelector("input").addEventListener("change", (e) => { st.hp[key] = e.target.checked; rerun(); });
      return row;
    }
    const toSlider = (v) => meta.log ? (Math.log10(v) - Math.log10(meta.min)) / (Math.log10(meta.max) - Math.log10(meta.min)) * 1000
      : (v - meta.min) / (meta.max - meta.min) * 1000;
    const fromSlider = (s) => meta.log ? Math.pow(10, Math.log10(meta.min) + s / 1000 * (Math.log10(meta.max) - Math.log10(meta.min)))
      : meta.min + s / 1000 * (meta.max - meta.min);
    const value = st.hp[key] !== undefined ? st.hp[key] : meta.default;
    row.innerHTML = `<label for="${id}" title="${key}">${key}${meta.log ? " (log)" : ""}</label>` +
      `<input id="${id}" type="range" min="0" max="1000" step="1" value="${Math.round(toSlider(Math.max(value, meta.log ? meta.min : -Infinity)))}">` +
      `<output for="${id}">${fmt(value)}</output>`;
    const input = row.querySelector("input"), out = row.querySelector("output");
    input.setAttribute("aria-valuetext", fmt(value));
    input.addEventListener("input", () => {
      const v = +fromSlider(+input.value).toPrecision(4);
      st.hp[key] = v; out.textContent = fmt(v); input.setAttribute("aria-valuetext", fmt(v));
      rerun();
    });
    return row;
  }
  function buildOptimizers() {
    const box = $("optimizers");
    box.innerHTML = "";
    const colorOf = {};  // each run's colour comes from the server (the figures' palette, optiviz.render.style)
    if (S.run) for (const r of S.run.runs) if (!(r.name in colorOf)) colorOf[r.name] = r.color;
    for (const o of S.catalog.optimizers) {
      const st = S.opts[o.name], div = document.createElement("div");
      div.className = "opt";
      const id = "opt-" + o.name;
      div.innerHTML = `<label for="${id}" title="${escapeHtml(o.summary)}"><input id="${id}" type="checkbox"${st.on ? " checked" : ""}>` +
        `<span class="swatch" style="background:${colorOf[o.name] || "transparent"}"></span>${o.name}</label>`;
      div.querySelector("input").addEventListener("change", (e) => {
        st.on = e.target.checked; buildOptimizers(); fillBasinSelect(); rerun({ rebuild: true });
      });
      if (st.on) for (const [key, meta] of Object.entries(o.hyperparameters)) div.appendChild(sliderFor(o.name, key, meta));
      box.appendChild(div);
    }
  }
  function moveStart(p, opts) { S.start = p; rerun(opts); }
  function bind() {
    $("surface").addEventListener("change", async (e) => {
      if (!e.target.value) return;
      try { await selectSurface(e.target.value); rerun({ animate: true }); } catch (err) { message(err.message, true); }
    });
    $("formula-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = $("formula").value.trim();
      if (!text) return;
      try { await selectSurface("expr:" + text); rerun({ animate: true }); } catch (err) { message(err.message, true); }
    });
    $("steps").addEventListener("change", (e) => { S.steps = Math.max(1, parseInt(e.target.value) || 1); $("scrub").max = S.steps; rerun({ end: true }); });
    $("seed").addEventListener("change", (e) => { S.seed = Math.max(0, parseInt(e.target.value) || 0); rerun(); });
    let dragging = false;
    map.addEventListener("pointerdown", (e) => { if (!S.info) return; dragging = true; map.setPointerCapture(e.pointerId); setPlaying(false); moveStart(eventWorld(e), { end: true }); });
    map.addEventListener("pointermove", (e) => { if (dragging) moveStart(eventWorld(e), { end: true }); });
    const release = (e) => { if (!dragging) return; dragging = false; moveStart(eventWorld(e), { animate: true }); };
    map.addEventListener("pointerup", release);
    map.addEventListener("pointercancel", () => { dragging = false; });
    map.addEventListener("keydown", (e) => {
      if (!S.info || !S.start) return;
      const [[x0, x1], [y0, y1]] = dom(), f = e.shiftKey ? 0.1 : 0.02;
      const d = { ArrowLeft: [-f * (x1 - x0), 0], ArrowRight: [f * (x1 - x0), 0], ArrowUp: [0, f * (y1 - y0)], ArrowDown: [0, -f * (y1 - y0)] }[e.key];
      if (d) {
        e.preventDefault();
        moveStart([Math.min(x1, Math.max(x0, S.start[0] + d[0])), Math.min(y1, Math.max(y0, S.start[1] + d[1]))], { animate: true });
      } else if (e.key === " " || e.key === "Enter") { e.preventDefault(); setPlaying(!S.playing); }
    });
    $("play").addEventListener("click", () => setPlaying(!S.playing));
    $("scrub").addEventListener("input", (e) => { setPlaying(false); S.pos = +e.target.value; redraw(); });
    $("speed").addEventListener("change", (e) => { S.speed = parseFloat(e.target.value) || 1; saveURL(); });
    $("internals").addEventListener("change", (e) => { S.internals = e.target.checked; rerun(); });
    $("basin").addEventListener("change", (e) => {
      S.basin = e.target.checked; saveURL();
      if (S.basin) refreshBasins(); else { drawBackground(); redraw(); basinLegend(); }
    });
    $("basin-opt").addEventListener("change", (e) => { S.basinOpt = e.target.value; saveURL(); drawBackground(); redraw(); basinLegend(); });
    $("basin-n").addEventListener("change", (e) => { S.basinN = parseInt(e.target.value); saveURL(); refreshBasins(); });
    $("reset-start").addEventListener("click", () => moveStart(S.info.start.slice(), { animate: true }));
    $("tune").addEventListener("click", tune);
    $("export").addEventListener("click", exportRace);
    $("copy-link").addEventListener("click", async () => {
      saveURL();
      try { await navigator.clipboard.writeText(location.href); message("link copied"); } catch (e) { message("copy this page's address to share the race"); }
    });
  }
  async function tune() {
    const btn = $("tune"); btn.disabled = true; message("tuning learning rates…");
    try {
      const data = await (await api("/api/tune", { surface: S.surface, optimizers: requestOptimizers(), start: S.start, steps: S.steps, seed: S.seed })).json();
      enabled().forEach((o, i) => { if (data.tuned[i]) S.opts[o.name].hp.lr = data.tuned[i].lr; });
      buildOptimizers();
      await rerun({ animate: true });
      message("tuned: " + data.tuned.map((t) => `${t.label} lr=${fmt(t.lr)}`).join(", ") + ` (best final loss after ${data.steps} steps)`);
    } catch (e) { message(e.message, true); } finally { btn.disabled = false; }
  }
  async function exportRace() {
    const btn = $("export"), format = $("export-format").value;
    btn.disabled = true; message(`rendering the race as ${format.toUpperCase()} with optiviz's renderer…`);
    try {
      const body = { surface: S.surface, optimizers: requestOptimizers(), start: S.start, steps: S.steps, seed: S.seed,
        internals: S.internals, format: format };
      const resp = await api("/api/export", body);
      const blob = await resp.blob(), a = document.createElement("a");
      a.href = URL.createObjectURL(blob); a.download = "optiviz-race." + format;
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      S.exported = { format: format, bytes: blob.size };
      message(`exported ${(blob.size / 1024).toFixed(0)} kB`);
    } catch (e) { message(e.message, true); } finally { btn.disabled = false; }
  }

  // ---------------------------------------------------------------------------------------------- start-up
  async function init() {
    const [version, surfaces, optimizers] = await Promise.all([
      api("/api/version").then((r) => r.json()), api("/api/surfaces").then((r) => r.json()), api("/api/optimizers").then((r) => r.json())]);
    $("version").textContent = `optiviz ${version.optiviz} · API v${version.api}`;
    S.catalog = { surfaces: surfaces, optimizers: optimizers };
    const sel = $("surface");
    sel.innerHTML = '<option value="">(a formula)</option>' +
      surfaces.map((s) => `<option value="${escapeHtml(s.name)}">${escapeHtml(s.name)}: ${escapeHtml(s.caption)}</option>`).join("");
    const url = loadURL();
    for (const o of optimizers) {
      const hp = {};
      for (const [k, m] of Object.entries(o.hyperparameters)) hp[k] = m.default;
      S.opts[o.name] = { on: url.opts ? o.name in url.opts : DEFAULTS.includes(o.name), hp: hp };
      if (url.opts && url.opts[o.name]) Object.assign(hp, url.opts[o.name]);
    }
    for (const k of ["steps", "seed", "internals", "basin", "basinOpt", "speed"]) if (url[k] !== undefined) S[k] = url[k];
    if (url.basin_n) S.basinN = url.basin_n;
    $("steps").value = S.steps; $("seed").value = S.seed; $("scrub").max = S.steps;
    $("internals").checked = S.internals; $("basin").checked = S.basin; $("speed").value = String(S.speed);
    $("basin-n").value = String(S.basinN);
    bind();
    const keepLr = !!url.opts;
    try {
      await selectSurface(url.surface || S.surface, { start: !!url.start, lr: keepLr });
    } catch (e) {
      message(e.message, true);
      await selectSurface("ravine");
    }
    if (url.start) S.start = url.start;
    fillBasinSelect();
    await rerun({ animate: true, rebuild: true });
    S.ready = true;
    document.body.dataset.ready = "1";
  }
  window.addEventListener("error", (e) => S.errors.push(String(e.message)));
  init().catch((e) => message(e.message, true));
})();
