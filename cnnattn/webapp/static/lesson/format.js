// The i18n templates filled as Python fills them: str.format with the specs the templates use, and counts.
// Python twin: str.format as cnnattn/i18n.py text calls it; count: cnnattn/i18n.py count.

// Python's "g" (6 significant digits, no trailing zeros), as f"{t:g}" writes temperatures.
export function general(value) {
  const rounded = Number(value.toPrecision(6));
  const exponent = rounded === 0 ? 0 : Math.floor(Math.log10(Math.abs(rounded)));
  if (exponent >= -4 && exponent < 6) return String(rounded);
  const [mantissa, power] = rounded.toExponential().split("e");
  const digits = String(Math.abs(Number(power))).padStart(2, "0");
  return `${mantissa}e${power.startsWith("-") ? "-" : "+"}${digits}`;
}

// Python's f"{value:.{places}f}": toFixed's digits, but a value exactly halfway between two results goes to
// the even one, where toFixed goes away from zero (0.125 -> Python's "0.12", toFixed's "0.13"; a guess's
// uniform share 6/96 = 6.25% is one). Only a value with value * 2^(places + 1) whole can be halfway.
export function fixed(value, places) {
  const halves = Math.abs(value) * 2 ** (places + 1);  // exact: a power of two
  const tenths = halves * 5 ** places;  // |value| * 10^places * 2, whole when halves is
  if (!Number.isInteger(halves) || !Number.isSafeInteger(tenths) || tenths % 2 === 0) return value.toFixed(places);
  const below = (tenths - 1) / 2;  // the tie lies between below and below + 1
  const even = below % 2 === 0 ? below : below + 1;
  return `${value < 0 ? "-" : ""}${(even / 10 ** places).toFixed(places)}`;
}

// One value through a format spec: none, "g", ".Nf" or ".N%".
export function formatValue(value, spec) {
  if (!spec) return String(value);
  if (spec === "g") return general(value);
  const precision = /^\.(\d+)[f%]$/.exec(spec);
  if (!precision) throw new Error(`lesson/format.js: no format spec ${spec}`);
  const places = Number(precision[1]);
  return spec.endsWith("f") ? fixed(value, places) : `${fixed(value * 100, places)}%`;
}

// str.format with the specs the lesson's templates use: {x}, {x:.Nf}, {x:.N%}, {x:g}, {{ and }}.
export function format(template, values) {
  return template.replace(/\{\{|\}\}|\{(\w+)(?::([^}]*))?\}/g, (match, name, spec) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    if (!(name in values)) throw new Error(`lesson/format.js: no value for {${name}}`);
    return formatValue(values[name], spec);
  });
}

// A number with its noun: "singular|plural" entries (English) or one form (Chinese).
export function count(template, n) {
  const forms = format(template, { n }).split("|");
  return n === 1 || forms.length === 1 ? forms[0] : forms[1];
}
