() => {
  // The lesson's step 1 and step 2 tables (and a query-row head's step 3 table) follow the view's head, temperature and query with no request:
  // after each draw of the lesson view, the numbers are computed from the payload the view already holds
  // (scores, or the query's row of dot products; weights = softmax(scores / T) in float64) and written
  // into the tables' cells, formatted as cnnattn.lesson.tables does. Runs once on page load (demo.load js).
  const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  const scientific = (value) => {
    const [mantissa, exponent] = value.toExponential(1).split("e");
    return `${mantissa}×10${String(Number(exponent)).replace(/./g, (c) => SUPERSCRIPT[c])}`;
  };
  // format_weight: 4 places from 0.001 up, scientific below, so no positive weight reads as 0.
  const weightText = (v) => (v >= 1e-3 ? v.toFixed(4) : v > 0 ? scientific(v) : v === 0 ? "<10⁻³⁰⁸" : v.toFixed(4));

  function softmax64(scores, temperature) {
    let top = -Infinity;
    for (const v of scores) top = Math.max(top, v);
    const exps = Array.from(scores, (v) => Math.exp((v - top) / temperature));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((v) => v / total);
  }

  function decoded(entry, name) {
    const arrays = entry._arrays || (entry._arrays = {});
    if (!arrays[name]) {
      const bytes = Uint8Array.from(atob(entry[name]), (c) => c.charCodeAt(0));
      arrays[name] = new Float32Array(bytes.buffer);
    }
    return arrays[name];
  }

  // Step 1's numbers (as shown) and step 2's weights of the view's head, or null for an unknown head.
  function grids(view) {
    const payload = view.payload();
    const s = view.settings();
    const entry = payload && payload.heads.find((e) => e.ids.includes(s.head));
    if (!entry) return null;
    const index = entry.ids.indexOf(s.head);
    const [h, w] = entry.grid;
    const n = h * w;
    if (entry.form === "position") {
      const scores = Array.from(decoded(entry, "scores").subarray(index * n, (index + 1) * n));
      return { h, w, first: scores.map((v) => v.toFixed(3)), weights: softmax64(scores, s.head_temperature) };
    }
    const [x, y] = s.query;
    const cell = Math.min(Math.floor(y * h), h - 1) * w + Math.min(Math.floor(x * w), w - 1);
    let scaled;
    if (entry.encoding === "rows") {
      scaled = Array.from(decoded(entry, "rows").subarray((index * n + cell) * n, (index * n + cell + 1) * n));
    } else {
      const d = entry.shape[2];
      const queries = decoded(entry, "queries");
      const keys = entry.keys ? decoded(entry, "keys") : queries;
      const q = (index * n + cell) * d;
      scaled = [];
      for (let p = 0; p < n; p++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += keys[(index * n + p) * d + c] * queries[q + c];
        scaled.push(dot * entry.scale);
      }
    }
    const dots = scaled.map((v) => (v / entry.scale).toFixed(2));
    return { h, w, first: dots, weights: softmax64(scaled, s.head_temperature), scaled, scale: entry.scale };
  }

  // Writes valueAt(row, col) into a gr.Dataframe's body cells (null keeps a cell, e.g. the row labels);
  // a table with another number of columns (another head's) is left for the server's answer.
  function fill(selector, valueAt, rows, columns) {
    const cells = Array.from(document.querySelectorAll(`${selector} [role=gridcell]`));
    if (!cells.length || Math.max(...cells.map((cell) => Number(cell.dataset.col))) !== columns - 1) return;
    for (const cell of cells) {
      const row = Number(cell.dataset.row);
      const value = row < rows ? valueAt(row, Number(cell.dataset.col)) : null;
      if (value === null) continue;
      const span = cell.querySelector("span.text") || cell;
      const node = Array.from(span.childNodes).find((child) => child.nodeType === Node.TEXT_NODE);
      if (node) node.nodeValue = value;
      else span.prepend(value);
    }
  }
  const grid = (values, w) => (row, col) => (col > 0 ? values[row * w + col - 1] : null);

  // Step 3 of a query-row head: its heaviest cells (cell, dot, scaled, weight), as the server's table.
  function heaviest(shown, count = 5) {
    const order = shown.weights.map((v, i) => i).sort((a, b) => shown.weights[b] - shown.weights[a] || a - b);
    return order.slice(0, count).map((i) => [
      `(${Math.floor(i / shown.w) + 1}, ${(i % shown.w) + 1})`, (shown.scaled[i] / shown.scale).toFixed(2),
      shown.scaled[i].toFixed(3), weightText(shown.weights[i]),
    ]);
  }

  const tables = { key: null, fills: 0 };
  function update() {
    const view = window.cnnattnViews && window.cnnattnViews.lesson;
    if (!view || !view.payload()) return;
    const s = view.settings();
    const key = `${view.payload().photo.jpeg.length}|${s.head}|${s.head_temperature}|${s.query}`;
    if (key === tables.key) return;  // colour changes leave the numbers as they are
    const shown = grids(view);
    if (!shown) return;
    tables.key = key;
    fill("#lesson-scores", grid(shown.first, shown.w), shown.h, shown.w + 1);
    fill("#lesson-weights", grid(shown.weights.map(weightText), shown.w), shown.h, shown.w + 1);
    if (shown.scaled) {
      const rows = heaviest(shown);
      fill("#lesson-step3-table", (row, col) => rows[row][col], rows.length, 4);
    }
    tables.fills += 1;
  }
  window.cnnattnLessonTables = tables;

  const watchView = () => {
    const element = document.querySelector("#lesson-view");
    if (!element) return setTimeout(watchView, 200);
    new MutationObserver(update).observe(element, { attributes: true, attributeFilter: ["data-draws"], subtree: true });
  };
  watchView();
}
