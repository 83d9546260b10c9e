() => {
  // The lesson's step texts and tables for the view's head, temperature and query, written in the
  // browser: the copy of cnnattn.lesson.view.lesson_view, from the payload the view holds and its
  // payload.lesson block (cnnattn.lesson.block: fixed texts, templates, the pooling heads' step 3 for
  // every temperature of the sliders). The view's input and select events return `outputs()` with no
  // request. Runs once on page load (demo.load js), after lesson_format.js.
  const F = window.cnnattnLessonFormat;
  const STEP3_ROWS = 5;

  function decoded(entry, name) {  // base64 float32, decoded once (the view's weights.js keeps the same cache)
    const arrays = entry._arrays || (entry._arrays = {});
    if (!arrays[name]) {
      const bytes = Uint8Array.from(atob(entry[name]), (c) => c.charCodeAt(0));
      arrays[name] = new Float32Array(bytes.buffer);
    }
    return arrays[name];
  }

  // cnnattn.lesson.tables.softmax64: softmax(scores / T) in float64.
  function softmax64(scores, temperature) {
    const top = scores.reduce((a, b) => Math.max(a, b), -Infinity);
    const exps = scores.map((v) => Math.exp((v - top) / temperature));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((v) => v / total);
  }

  // The head's own weights: torch's F.softmax in float32 (emulated with Math.fround, tiny weights
  // underflowing to 0 as there). lesson_view reads these for the readout, step 2's sum and largest weight,
  // the query's heaviest cells, step 3's mix and the guess; its tables and cell text use softmax64.
  function softmax32(scores, temperature) {
    const f = Math.fround;
    const logits = scores.map((v) => f(f(v) / temperature));
    const top = logits.reduce((a, b) => Math.max(a, b), -Infinity);
    const exps = logits.map((v) => f(Math.exp(f(v - top))));
    const total = exps.reduce((a, b) => f(a + b), 0);
    return exps.map((v) => f(v / total));
  }

  const range = (values) => [values.reduce((a, b) => Math.min(a, b)), values.reduce((a, b) => Math.max(a, b))];
  const sum = (values) => values.reduce((a, b) => a + b, 0);

  // cnnattn.lesson.tables.grid_table: "row 1".."row h", columns 1..w, each value through `shown`.
  function gridTable(values, [h, w], title, shown, t) {
    const headers = [t["table.corner"], ...Array.from({ length: w }, (_, c) => String(c + 1))];
    const data = Array.from({ length: h }, (_, r) => [
      F.format(t["table.row"], { n: r + 1 }), ...values.slice(r * w, (r + 1) * w).map(shown),
    ]);
    return { headers, data, title };
  }

  // Steps of a pooling head (view.py's _pooling_view): scores s_p, weights, step 3 from the block.
  function pooling(entry, index, s, block, head) {
    const [h, w] = entry.grid;
    const n = h * w;
    const t = block.templates;
    const scores = Array.from(decoded(entry, "scores").subarray(index * n, (index + 1) * n));
    const weights = softmax64(scores, s.head_temperature);
    const own = softmax32(scores, s.head_temperature);
    const at = head.temperatures.findIndex((T) => Math.abs(T - s.head_temperature) < 1e-9);
    if (at < 0) return null;  // a temperature the sliders cannot show
    const [c, attention, after, top] = head.step3[at];
    const [label, average, before] = block.classes[c];
    const [low, high] = range(scores);
    let step3 = F.format(t["pool.step3"], {
      c: head.channels, n, label, attention: F.percentText(attention), average: F.percentText(average),
    });
    if (head.class_conditional) step3 += `\n\n${F.format(t["pool.step3.circular"], { label, before, after })}`;
    const row = Math.floor(s.cell / w), col = s.cell % w;
    return {
      steps: [
        F.format(t["pool.step1"], { h, w, n, c: head.channels, low, high }),
        F.format(t["pool.step2"], {
          t: s.head_temperature, total: sum(own), top: Math.max(...own), n, uniform: 1 / n,
        }),
        step3 + head.accuracy,
      ],
      scores: gridTable(scores, [h, w], t["table.scores.position"], (v) => v.toFixed(3), t),
      step3: {
        headers: ["lesson.col.class", "lesson.col.average", "lesson.col.attention"].map((key) => t[key]),
        data: top.map(([i, att]) => [block.classes[i][0], F.percentText(block.classes[i][1]), F.percentText(att)]),
        title: t["lesson.step3_table"],
      },
      cell: F.format(t["pool.cell"], {
        row: row + 1, col: col + 1, score: scores[s.cell], n, ...F.cellWeight(weights[s.cell], n, t),
      }),
      weights,
      own,
    };
  }

  // q_i . k_j of the query cell with every cell (unscaled), and Gram rows of the values for step 3.
  function queryRow(entry, index, cell) {
    const n = entry.grid[0] * entry.grid[1];
    if (entry.encoding === "rows") {
      const rows = decoded(entry, "rows");
      return Array.from(rows.subarray((index * n + cell) * n, (index * n + cell + 1) * n), (v) => v / entry.scale);
    }
    const d = entry.shape[2];
    const queries = decoded(entry, "queries");
    const keys = entry.keys ? decoded(entry, "keys") : queries;
    const q = (index * n + cell) * d;
    return Array.from({ length: n }, (_, p) => {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += keys[(index * n + p) * d + c] * queries[q + c];
      return dot;
    });
  }

  // steps.QueryLesson.cosine_to_own_value: cos(v_i, sum_j a_j v_j).
  function cosine(entry, index, head, cell, weights) {
    const n = weights.length;
    let vectors, d;
    if (head.values) [vectors, d] = [decoded(head, "values"), head.values_shape[1]];
    else if (entry.encoding === "qk") [vectors, d] = [decoded(entry, "queries").subarray(index * n * entry.shape[2]), entry.shape[2]];
    if (vectors) {
      const mixed = new Float64Array(d);
      for (let j = 0; j < n; j++) for (let c = 0; c < d; c++) mixed[c] += weights[j] * vectors[j * d + c];
      let dot = 0, own = 0, norm = 0;
      for (let c = 0; c < d; c++) {
        dot += vectors[cell * d + c] * mixed[c];
        own += vectors[cell * d + c] ** 2;
        norm += mixed[c] ** 2;
      }
      return own * norm > 0 ? dot / Math.sqrt(own * norm) : 0;
    }
    // Q = K = V with the logit matrix sent: the Gram matrix of the values is rows / scale.
    const rows = decoded(entry, "rows");
    const gram = (i, j) => rows[(index * n + i) * n + j] / entry.scale;
    let dot = 0, norm = 0;
    for (let i = 0; i < n; i++) {
      dot += weights[i] * gram(cell, i);
      for (let j = 0; j < n; j++) norm += weights[i] * weights[j] * gram(i, j);
    }
    const own = gram(cell, cell);
    return own * norm > 0 ? dot / Math.sqrt(own * norm) : 0;
  }

  // Steps of a query-row head (view.py's _query_view).
  function queryRowSteps(entry, index, s, block, head) {
    const [h, w] = entry.grid;
    const t = block.templates;
    const dots = queryRow(entry, index, s.cell);
    const scaled = dots.map((v) => v * entry.scale);
    const weights = softmax64(scaled, s.head_temperature);
    const own = softmax32(scaled, s.head_temperature);
    const [row, col] = [Math.floor(s.cell / w), s.cell % w];  // the query cell i, also the cell text's j
    const [low, high] = range(dots);
    const [scaledLow, scaledHigh] = range(scaled);
    const step3 = F.format(t["self.step3"], { cosine: cosine(entry, index, head, s.cell, own) });
    return {
      steps: [
        F.format(t["self.step1"], { row: row + 1, col: col + 1, low, high }),
        F.format(t["self.step2"], {
          d: head.d_k, root: Math.sqrt(head.d_k), low: scaledLow, high: scaledHigh, t: s.head_temperature,
          total: sum(own), top: Math.max(...own),
        }),
        step3 + head.tail,
      ],
      scores: gridTable(dots, [h, w], t["table.scores.query"], (v) => v.toFixed(2), t),
      step3: {
        headers: ["table.cell", "lesson.col.dot", "lesson.col.scaled", "lesson.col.weight"].map((key) => t[key]),
        data: F.heaviestFirst(own).slice(0, STEP3_ROWS).map((i) => [
          `(${Math.floor(i / w) + 1}, ${(i % w) + 1})`, dots[i].toFixed(2), scaled[i].toFixed(3), F.weightText(weights[i]),
        ]),
        title: t["table.step3.query"],
      },
      cell: F.format(t["self.cell"], {
        row: row + 1, col: col + 1, dot: dots[s.cell], scaled: scaled[s.cell],
        ...F.cellWeight(weights[s.cell], h * w, t),
      }),
      weights,
      own,
    };
  }

  // The lesson block arrives as one JSON string (see LessonTab.answer), parsed once per answer.
  const blocks = new WeakMap();
  const blockOf = (payload) => {
    if (!blocks.has(payload)) blocks.set(payload, payload.lesson ? JSON.parse(payload.lesson) : null);
    return blocks.get(payload);
  };

  // Every text of the lesson for the view's settings, or null before an answer with a lesson block.
  function compute() {
    const view = window.cnnattnViews && window.cnnattnViews.lesson;
    const payload = view && view.payload();
    const block = payload && blockOf(payload);
    const settings = view && view.settings();
    const entry = block && payload.heads.find((e) => e.ids.includes(settings.head));
    if (!entry) return null;
    const index = entry.ids.indexOf(settings.head);
    const head = block.heads[settings.head];
    const cell = Math.min(Math.floor(settings.query[1] * entry.grid[0]), entry.grid[0] - 1) * entry.grid[1]
      + Math.min(Math.floor(settings.query[0] * entry.grid[1]), entry.grid[1] - 1);  // maps.grid_cell
    const s = { ...settings, cell };
    const built = (entry.form === "position" ? pooling : queryRowSteps)(entry, index, s, block, head);
    if (!built) return null;
    const t = block.templates;
    const r = F.readout(built.own, entry.grid, block.settings.share, block.settings.top_k, block);
    return {
      head: head.text,
      steps: built.steps,
      scores: built.scores,
      weights: gridTable(built.weights, entry.grid, t["table.weights"], F.weightText, t),
      step3: built.step3,
      cell: built.cell,
      readout: F.format(t.readout, r),
      link: F.link(settings, { ...block.settings, example: block.example, language: block.language }),
      note: block.example ? "" : t["link.upload"],
      guess: F.guess(built.own, entry.grid, [Math.floor(cell / entry.grid[1]), cell % entry.grid[1]], t),
      layer_visible: head.layers,
    };
  }

  // gr.Dataframe's value and label, as the server's gr.Dataframe(..., label=title) sends them.
  const table = ({ headers, data, title }) => ({ __type__: "update", value: { headers, data, metadata: null }, label: title });
  const visible = (on) => ({ __type__: "update", visible: on });

  // What this script last wrote into each output, for the payload it wrote from: an output whose new value
  // is the same is left alone (undefined), so gradio does not render a table again for nothing. A new
  // answer (new payload) brought the server's own texts, so everything is written again after it.
  const last = { payload: null, shown: [] };

  // The lesson tab's text outputs in LessonTab.wire's order (with the guess after predict-then-reveal).
  function outputs(guessed = false) {
    const texts = compute();
    if (!texts) return undefined;  // nothing to write: every output keeps what it shows
    const shown = [
      texts.head, texts.steps[0], table(texts.scores), texts.steps[1], table(texts.weights), texts.cell,
      texts.readout, texts.steps[2], table(texts.step3), texts.link, texts.note, visible(texts.layer_visible),
    ].map((value) => JSON.stringify(value));
    const payload = window.cnnattnViews.lesson.payload();
    const changed = shown.map((value, i) => (last.payload !== payload || value !== last.shown[i] ? JSON.parse(value) : undefined));
    Object.assign(last, { payload, shown });
    window.cnnattnLessonTexts.writes += 1;
    return guessed ? [...changed, texts.guess] : changed;
  }

  const block = () => { const payload = window.cnnattnViews?.lesson?.payload(); return payload ? blockOf(payload) : null; };
  window.cnnattnLessonTexts = { compute, outputs, block, writes: 0 };  // writes: how often the page was rewritten

  // The class dropdown matters to the class map only. It is shown or hidden by the page's style
  // (theme.PAGE_CSS) after every draw of the lesson's view, not as an output of the lesson's events:
  // gradio's page copies an output's props, the 1000 classes item by item, at every status change.
  function showClassChoice() {
    const view = window.cnnattnViews?.lesson;
    const entry = view?.payload()?.heads.find((e) => e.ids.includes(view.settings().head));
    if (entry) document.documentElement.dataset.lessonClass = entry.class_conditional ? "shown" : "hidden";
  }
  const watchView = () => {
    const element = document.querySelector("#lesson-view");
    if (!element) return setTimeout(watchView, 200);
    new MutationObserver(showClassChoice).observe(element, { attributes: true, attributeFilter: ["data-draws"], subtree: true });
  };
  watchView();
}
