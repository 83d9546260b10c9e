() => {
  // The lesson's wording rules in the browser, each the copy of one Python function (named beside it):
  // str.format for the i18n templates, the tables' number formats, the readout, the guess and the link.
  // Runs once on page load (demo.load js); lesson_texts.js puts them together.
  const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

  // Python's "g" (6 significant digits, no trailing zeros), as f"{t:g}" writes temperatures.
  function general(value) {
    const rounded = Number(value.toPrecision(6));
    const exponent = rounded === 0 ? 0 : Math.floor(Math.log10(Math.abs(rounded)));
    if (exponent >= -4 && exponent < 6) return String(rounded);
    const [mantissa, power] = rounded.toExponential().split("e");
    const digits = String(Math.abs(Number(power))).padStart(2, "0");
    return `${mantissa}e${power.startsWith("-") ? "-" : "+"}${digits}`;
  }

  function formatValue(value, spec) {
    if (!spec) return String(value);
    if (spec === "g") return general(value);
    const fixed = /^\.(\d+)([f%])$/.exec(spec);
    if (!fixed) throw new Error(`lesson_format.js: no format spec ${spec}`);
    const places = Number(fixed[1]);
    return fixed[2] === "f" ? value.toFixed(places) : `${(value * 100).toFixed(places)}%`;
  }

  // str.format with the specs the lesson's templates use: {x}, {x:.Nf}, {x:.N%}, {x:g}, {{ and }}.
  function format(template, values) {
    return template.replace(/\{\{|\}\}|\{(\w+)(?::([^}]*))?\}/g, (match, name, spec) => {
      if (match === "{{") return "{";
      if (match === "}}") return "}";
      if (!(name in values)) throw new Error(`lesson_format.js: no value for {${name}}`);
      return formatValue(values[name], spec);
    });
  }

  // cnnattn.i18n.count: "singular|plural" entries (English) or one form (Chinese).
  function count(template, n) {
    const forms = format(template, { n }).split("|");
    return n === 1 || forms.length === 1 ? forms[0] : forms[1];
  }

  // cnnattn.lesson.tables: scientific, format_weight, format_ratio, format_percent.
  function scientific(value) {
    const [mantissa, exponent] = value.toExponential(1).split("e");
    return `${mantissa}×10${String(Number(exponent)).replace(/./g, (c) => SUPERSCRIPT[c])}`;
  }
  const weightText = (v) => (v >= 1e-3 ? v.toFixed(4) : v > 0 ? scientific(v) : v === 0 ? "<10⁻³⁰⁸" : v.toFixed(4));
  const ratioText = (v) => (v >= 0.01 || v <= 0 ? v.toFixed(2) : scientific(v));
  function percentText(p) {
    if (p > 0 && p < 0.0005) return "<0.1%";
    if (p >= 0.9995 && p < 1) return ">99.9%";
    return formatValue(p, ".1%");
  }

  // cnnattn.lesson.tables.plain_weight and cell_weight (TINY_WEIGHTS, SMALLEST_DECIMAL, SMALLEST_RATIO): a cell's
  // weight in words, compared with the uniform weight, and the exact numbers in <details> where words replaced them.
  const TINY_WEIGHTS = [[1e-9, "weight.tiny.billion"], [1e-6, "weight.tiny.million"], [1e-3, "weight.tiny.thousand"]];
  function plainWeight(value, templates) {
    const tiny = TINY_WEIGHTS.find(([bound]) => value < bound);
    return tiny ? templates[tiny[1]] : value.toFixed(4);
  }
  function cellWeight(weight, n, templates) {
    const ratio = weight * n;
    const compared = format(templates[ratio >= 0.01 ? "cell.times_uniform" : "cell.below_uniform"], { ratio, n });
    const tiny = weight < 1e-3 || ratio < 0.01;
    const exact = tiny ? format(templates["cell.exact"], { weight: weightText(weight), ratio: ratioText(ratio), n }) : "";
    return { weight: plainWeight(weight, templates), compared, exact };
  }

  // Python's round(): halves go to the even neighbour.
  function roundHalfEven(value) {
    const nearest = Math.round(value);
    return Math.abs(value % 1) === 0.5 ? 2 * Math.round(value / 2) : nearest;
  }

  // Heaviest first; ties keep their order (numpy's stable argsort of -weights).
  const heaviestFirst = (weights) => Array.from(weights, (v, i) => i).sort((a, b) => weights[b] - weights[a] || a - b);

  // cnnattn.analysis.readouts: when no place is named (FLAT, SCATTERED), the middle band, the place keys.
  const FLAT = 0.9;
  const SCATTERED = 0.3;
  const CENTRE_BAND = 0.1;
  const PLACE_KEYS = [["top left", "top", "top right"], ["left", "centre", "right"], ["bottom left", "bottom", "bottom right"]];
  const band = (fraction) => (fraction < 0.5 - CENTRE_BAND ? 0 : fraction > 0.5 + CENTRE_BAND ? 2 : 1);

  // readouts.where_it_sits: "flat", "scattered", or the band of the region's centre of mass.
  function whereItSits(weights, region, [h, w], effective) {
    if (effective >= FLAT * h * w) return "flat";
    const cells = weights.map((v, i) => [v, ((i % w) + 0.5) / w, (Math.floor(i / w) + 0.5) / h]).filter((_, i) => region[i]);
    const inside = cells.reduce((sum, [v]) => sum + v, 0);
    const x = cells.reduce((sum, [v, cx]) => sum + v * cx, 0) / inside;
    const y = cells.reduce((sum, [v, , cy]) => sum + v * cy, 0) / inside;
    const squares = cells.reduce((sum, [v, cx, cy]) => sum + v * ((cx - x) ** 2 + (cy - y) ** 2), 0);
    if (Math.sqrt(squares / inside) >= SCATTERED) return "scattered";  // readouts.spread_radius
    return PLACE_KEYS[band(y)][band(x)];
  }

  // cnnattn.analysis.readouts.read and summary, on (h*w) weights summing to 1.
  function readout(weights, [h, w], share, k, words) {
    const n = h * w;
    const total = weights.reduce((a, b) => a + b, 0);
    const entropy = Math.max(0, -weights.reduce((sum, v) => sum + v * Math.log(Math.max(v, 1e-30)), 0));
    const topK = Math.min(k, n);
    const order = heaviestFirst(weights);
    const mass = order.slice(0, topK).reduce((sum, i) => sum + weights[i], 0) / total;
    let running = 0;
    let cells = n;
    for (let i = 0; i < n; i++) {  // np.searchsorted(cumulative, share - 1e-12) + 1
      running += weights[order[i]];
      if (running / total >= share - 1e-12) {
        cells = i + 1;
        break;
      }
    }
    const region = new Array(n).fill(false);
    for (const i of order.slice(0, cells)) region[i] = true;
    const effective = Math.exp(entropy);
    const summary = format(words.summary, {
      percent: roundHalfEven(100 * share), cells, positions: n,
      place: words.places[whereItSits(weights, region, [h, w], effective)],
      equal: count(words.templates["count.position"], roundHalfEven(effective)),
    });
    const positions = count(words.templates["count.position"], cells);
    return { entropy, effective, n, k: topK, mass, share, positions, summary };
  }

  // cnnattn.lesson.guess.score_guess and guess_text: the mass around the clicked cell against uniform.
  function guess(weights, [h, w], [row, col], templates) {
    const n = h * w;
    const total = weights.reduce((a, b) => a + b, 0);
    let size = 0, inside = 0;
    for (let r = Math.max(row - 1, 0); r <= Math.min(row + 1, h - 1); r++) {
      for (let c = Math.max(col - 1, 0); c <= Math.min(col + 1, w - 1); c++) {
        size += 1;
        inside += weights[r * w + c];
      }
    }
    const mass = inside / total;
    const uniform = size / n;
    const ratio = mass / uniform;
    const rank = 1 + weights.filter((v) => v > weights[row * w + col]).length;
    const neighbours = count(templates["count.neighbour"], size - 1);
    const result = format(templates["guess.result"], {
      row: row + 1, col: col + 1, neighbours, mass, uniform, ratio, rank, n,
    });
    const verdict = ratio >= 2 ? "guess.good" : ratio >= 1 ? "guess.fair" : "guess.miss";  // GOOD_RATIO = 2
    return `${result} ${templates[verdict]}`;
  }

  // cnnattn.lesson.links.link_params (URLSearchParams encodes as urlencode does for these values).
  function link(settings, fixed) {
    const params = new URLSearchParams({ view: "lesson" });
    if (fixed.example) params.append("example", fixed.example);
    params.append("head", settings.head);
    params.append("qx", settings.query[0].toFixed(3));
    params.append("qy", settings.query[1].toFixed(3));
    params.append("t", general(settings.head_temperature));
    params.append("lang", fixed.language);
    params.append("cmap", settings.colormap);
    params.append("alpha", general(settings.opacity));
    params.append("shared", fixed.shared_scale ? "1" : "0");
    params.append("share", general(fixed.share));
    params.append("k", String(fixed.top_k));
    if (fixed.class_index !== -1) params.append("cls", String(fixed.class_index));  // TOP1
    if (fixed.layer !== "final") params.append("layer", fixed.layer);  // FINAL
    return `?${params}`;
  }

  window.cnnattnLessonFormat = {
    format, count, weightText, ratioText, percentText, cellWeight, heaviestFirst, readout, guess, link,
  };
}
